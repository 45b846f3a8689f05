import { Box, Text } from 'ink';
import type { Choice } from '../../wizard/types.js';
import { Select } from '../components/Select.js';

/** A titled choice: backing, install mode, origin, size, salt mode. */
export function ChoiceScreen<T extends string>(props: {
  title: string;
  note?: string;
  choices: Choice<T>[];
  initial?: T;
  onSelect: (v: T) => void;
}) {
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      {props.note ? <Text dimColor>{props.note}</Text> : null}
      <Select choices={props.choices} initial={props.initial} onSelect={props.onSelect} />
    </Box>
  );
}
