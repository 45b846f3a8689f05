import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
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
  // Keys that arrive together (typed fast, pasted: "name\r" in one write) reach the handler one
  // after the other before React draws again: each edits the line the one before left (a ref),
  // and Enter submits that line, not the one of the last frame.
  const live = useRef(line);
  const submit = () => {
    setTried(true);
    if (!props.check?.(live.current.value)) props.onSubmit(live.current.value);
  };
  const edit = (input: string, key: Parameters<typeof editLine>[2]) => {
    const cur = live.current;
    const next = editLine(cur, input, key);
    if (next && (next.value !== cur.value || next.cursor !== cur.cursor)) {
      live.current = next;
      setLine(next);
    }
  };
  useInput(
    (input, key) => {
      if (key.return) return submit();
      // Ink hands a run of plain keys over as one input ("name\r" pasted or typed fast): the
      // text before a line break is typed, the break is Enter
      const enter = !key.ctrl && !key.meta && input.length > 1 ? input.search(/[\r\n]/) : -1;
      if (enter >= 0) {
        edit(input.slice(0, enter), {});
        return submit();
      }
      edit(input, key);
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
