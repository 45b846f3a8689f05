import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { editLine, type Line } from '../line-edit.js';

/**
 * One line of input that edits like a shell prompt (line-edit.ts), checked as typed; Enter submits
 * only a value without a problem.
 */
export function TextField(props: {
  label: string;
  initial?: string;
  placeholder?: string;
  mask?: string;
  check?: (v: string) => string | undefined;
  onSubmit: (v: string) => void;
  isActive?: boolean;
  hint?: string;
}) {
  const [line, setLine] = useState<Line>(() => ({ value: props.initial ?? '', cursor: (props.initial ?? '').length }));
  const [tried, setTried] = useState(false);
  useInput(
    (input, key) => {
      if (key.return) {
        setTried(true);
        if (!props.check?.(line.value)) props.onSubmit(line.value);
        return;
      }
      const next = editLine(line, input, key);
      if (next && (next.value !== line.value || next.cursor !== line.cursor)) setLine(next);
    },
    { isActive: props.isActive !== false },
  );
  const shown = props.mask ? props.mask.repeat(line.value.length) : line.value;
  const problem = props.check?.(line.value);
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>{props.label} </Text>
        {shown.length === 0 && props.placeholder ? (
          <Text>
            <Text inverse>{props.placeholder[0]}</Text>
            <Text dimColor>{props.placeholder.slice(1)}</Text>
          </Text>
        ) : (
          <Text>
            {shown.slice(0, line.cursor)}
            <Text inverse>{shown[line.cursor] ?? ' '}</Text>
            {shown.slice(line.cursor + 1)}
          </Text>
        )}
      </Box>
      {problem && (tried || line.value.length > 0) ? (
        <Text color="red">✗ {problem}</Text>
      ) : props.hint ? (
        <Text dimColor>{props.hint}</Text>
      ) : null}
    </Box>
  );
}
