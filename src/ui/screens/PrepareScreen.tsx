import { Box, Text } from 'ink';
import type { PrepareAction, PrepareState } from '../../wizard/types.js';
import { Select } from '../components/Select.js';

/** A node that is not ready: what it lacks, and node setup offered before going on. */
export function PrepareScreen(props: { prepare: PrepareState; onAction: (a: PrepareAction) => void }) {
  const { prepare } = props;
  return (
    <Box flexDirection="column">
      <Text bold>{prepare.node} is not ready for this VM</Text>
      {prepare.missing.map((m) => (
        <Text key={m} color="yellow">
          {'  '}! {m}
        </Text>
      ))}
      <Text dimColor>
        node setup installs LXC, makes the bridge, forwarding and NAT
        {prepare.origins.length ? ` and the origin ${prepare.origins.join(', ')}` : ''} (lxc-wizard node setup {prepare.node})
      </Text>
      <Select<PrepareAction>
        choices={[
          { value: 'setup', label: 'prepare this node now' },
          { value: 'anyway', label: "go on anyway (the run's preflight will stop at what is missing)" },
          { value: 'other-node', label: 'pick another node' },
        ]}
        onSelect={props.onAction}
      />
    </Box>
  );
}
