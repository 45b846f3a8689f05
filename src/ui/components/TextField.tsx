import { Box, Text } from 'ink';
import TextInput from 'ink-text-input';
import { useState } from 'react';

/** One line of input, checked as typed; Enter submits only a value without a problem. */
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
  const [value, setValue] = useState(props.initial ?? '');
  const [tried, setTried] = useState(false);
  const problem = props.check?.(value);
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold>{props.label} </Text>
        <TextInput
          value={value}
          placeholder={props.placeholder}
          mask={props.mask}
          focus={props.isActive !== false}
          onChange={(v) => setValue(v)}
          onSubmit={(v) => {
            setTried(true);
            if (!props.check?.(v)) props.onSubmit(v);
          }}
        />
      </Box>
      {problem && (tried || value.length > 0) ? (
        <Text color="red">✗ {problem}</Text>
      ) : props.hint ? (
        <Text dimColor>{props.hint}</Text>
      ) : null}
    </Box>
  );
}
