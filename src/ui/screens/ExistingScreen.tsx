import { Box, Text } from 'ink';
import type { ExistingVm } from '../../wizard/services.js';
import type { ExistingAction } from '../../wizard/types.js';
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
