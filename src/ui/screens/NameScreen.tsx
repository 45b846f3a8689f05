import { Box, Text } from 'ink';
import { nameProblem } from '../../wizard/choices.js';
import { TextField } from '../components/TextField.js';

/** The container name, checked as typed (a name the pillar has leads to the choice of what to do with it). */
export function NameScreen(props: { initial?: string; onName: (name: string) => void }) {
  return (
    <Box flexDirection="column">
      <Text bold>Container name</Text>
      <TextField
        label="Name (FQDN):"
        initial={props.initial}
        placeholder="web01.example.com"
        check={nameProblem}
        hint="the container name, minion id and first domain: a lower-case FQDN"
        onSubmit={props.onName}
      />
    </Box>
  );
}
