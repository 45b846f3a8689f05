import { Box, Text } from 'ink';
import { useState } from 'react';
import { nameProblem } from '../../wizard/machine.js';
import type { ExistingVm } from '../../wizard/services.js';
import { Select } from '../components/Select.js';
import { TextField } from '../components/TextField.js';

export type ExistingAction = 'edit' | 'rerun' | 'other';

/** The container name, checked as typed; an existing one offers edit, re-run or another name. */
export function NameScreen(props: {
  initial?: string;
  existing: (name: string) => ExistingVm | undefined;
  onName: (name: string) => void;
  onExisting: (name: string, vm: ExistingVm, action: Exclude<ExistingAction, 'other'>) => void;
}) {
  const [found, setFound] = useState<{ name: string; vm: ExistingVm } | undefined>();
  const [attempt, setAttempt] = useState(0);
  if (found) {
    return (
      <Box flexDirection="column">
        <Text>
          <Text bold>{found.name}</Text> already exists on {found.vm.node} (line {found.vm.line}).
        </Text>
        <Select<ExistingAction>
          choices={[
            { value: 'edit', label: 'edit that VM' },
            { value: 'rerun', label: 're-run its steps' },
            { value: 'other', label: 'pick another name' },
          ]}
          onSelect={(a) => {
            if (a === 'other') {
              setFound(undefined);
              setAttempt((n) => n + 1);
            } else props.onExisting(found.name, found.vm, a);
          }}
        />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <Text bold>Container name</Text>
      <TextField
        key={attempt}
        label="Name (FQDN):"
        initial={props.initial}
        placeholder="web01.example.com"
        check={nameProblem}
        hint="the container name, minion id and first domain: a lower-case FQDN"
        onSubmit={(name) => {
          const vm = props.existing(name);
          if (vm) setFound({ name, vm });
          else props.onName(name);
        }}
      />
    </Box>
  );
}
