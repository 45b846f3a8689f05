import { Box, Text } from 'ink';
import type { ExistingVm } from '../../wizard/services.js';
import type { ExistingAction, ForeignAction } from '../../wizard/types.js';
import { Select } from '../components/Select.js';

/** A name the pillar already has: edit that VM, re-run its steps, or pick another name. */
export function ExistingScreen(props: { name: string; vm: ExistingVm; onAction: (a: ExistingAction) => void }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{props.name}</Text> already exists on {props.vm.node} (line {props.vm.line}).
      </Text>
      <Select<ExistingAction>
        choices={[
          { value: 'edit', label: 'edit that VM' },
          { value: 'rerun', label: 're-run its steps' },
          { value: 'other', label: 'pick another name' },
        ]}
        onSelect={props.onAction}
      />
    </Box>
  );
}

/**
 * A name the node already has a container of, which lxc-wizard did not make: taking it over
 * rewrites its network and restarts it, so it is only ever done when chosen here (the run's --adopt).
 */
export function ForeignScreen(props: { name: string; node: string; onAction: (a: ForeignAction) => void }) {
  return (
    <Box flexDirection="column">
      <Text>
        A container <Text bold>{props.name}</Text> exists on {props.node} and was not made by lxc-wizard.
      </Text>
      <Select<ForeignAction>
        choices={[
          { value: 'other', label: 'pick another name' },
          { value: 'adopt', label: 'take it over (its bridge, MAC and IP are rewritten and it is restarted)' },
        ]}
        onSelect={props.onAction}
      />
    </Box>
  );
}
