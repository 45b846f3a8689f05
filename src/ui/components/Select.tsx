import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { Choice } from '../../wizard/types.js';

/** Arrow keys and Enter; disabled choices are shown with their reason and skipped. */
export function Select<T extends string>(props: { choices: Choice<T>[]; initial?: T; onSelect: (v: T) => void; isActive?: boolean }) {
  const start = Math.max(
    0,
    props.choices.findIndex((c) => c.value === props.initial && !c.disabled),
  );
  const [index, setIndex] = useState(start >= 0 ? start : props.choices.findIndex((c) => !c.disabled));
  const move = (d: number) => {
    const n = props.choices.length;
    for (let i = 1; i <= n; i++) {
      const j = (index + d * i + n * n) % n;
      if (!props.choices[j]!.disabled) return setIndex(j);
    }
  };
  useInput(
    (input, key) => {
      if (key.upArrow || input === 'k') move(-1);
      else if (key.downArrow || input === 'j') move(1);
      else if (key.return) {
        const c = props.choices[index];
        if (c && !c.disabled) props.onSelect(c.value);
      }
    },
    { isActive: props.isActive !== false },
  );
  return (
    <Box flexDirection="column">
      {props.choices.map((c, i) => (
        <Text key={c.value} dimColor={!!c.disabled} color={i === index ? 'cyan' : undefined}>
          {i === index ? '❯ ' : '  '}
          {c.label}
          {c.disabled ? `  (unavailable: ${c.disabled})` : ''}
        </Text>
      ))}
    </Box>
  );
}
