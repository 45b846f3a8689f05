import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { useEffect, useRef, useState } from 'react';
import { filterChoices, FILTER_AT } from '../../wizard/choices.js';
import type { Choice } from '../../wizard/types.js';
import { editLine } from '../line-edit.js';

/** How many choices a long list shows at once. */
const WINDOW = 10;

/**
 * A choice list through ink-select-input: the choices that can be picked in it, those the node
 * cannot serve listed under it, dimmed, each with its reason (never selectable). A list longer than
 * FILTER_AT narrows as the operator types (the count of matches shown); the keys then all come here
 * (a typed `j` or `1` is part of the filter) and ink-select-input draws the window at the cursor.
 */
export function Select<T extends string>(props: { choices: Choice<T>[]; initial?: T; onSelect: (v: T) => void; isActive?: boolean }) {
  const active = props.isActive !== false;
  const enabled = props.choices.filter((c) => !c.disabled);
  const disabled = props.choices.filter((c) => c.disabled);
  const filterable = props.choices.length > FILTER_AT;
  const [filter, setFilter] = useState('');
  const shown = filterable ? filterChoices(enabled, filter) : enabled;
  const start = Math.max(
    0,
    shown.findIndex((c) => c.value === props.initial),
  );
  const [cursor, setCursor] = useState(start);
  const at = Math.min(cursor, Math.max(0, shown.length - 1));
  // Keys typed quickly (Down and Enter in one write, a paste, tmux send-keys) reach the handler
  // one after the other before React draws again: each must act on the state the one before left,
  // so the cursor and the filter live in refs as well as in state (a closure would see the old
  // ones: Enter took the choice Down had just left).
  const live = useRef<{ cursor: number; filter: string; moved: T | undefined }>({ cursor: at, filter, moved: undefined });
  live.current.cursor = Math.min(live.current.cursor, Math.max(0, shown.length - 1));
  const move = (to: number, byOperator = true) => {
    live.current.cursor = to;
    if (byOperator) live.current.moved = (filterable ? filterChoices(enabled, live.current.filter) : enabled)[to]?.value;
    setCursor(to);
  };
  // The node's facts may arrive while the list is shown (a choice becomes unavailable, another is
  // preselected): the cursor follows the preselection until the operator moves it, then stays on
  // the choice they moved to (not on its place in a list that changed).
  const preselected = shown.findIndex((c) => c.value === props.initial);
  const key = shown.map((c) => c.value).join('\0');
  useEffect(() => {
    const kept = live.current.moved === undefined ? -1 : shown.findIndex((c) => c.value === live.current.moved);
    const to = kept >= 0 ? kept : preselected;
    if (to >= 0 && to !== live.current.cursor) move(to, false);
  }, [key, preselected]);
  useInput(
    (input, key) => {
      const list = filterable ? filterChoices(enabled, live.current.filter) : enabled;
      const now = Math.min(live.current.cursor, Math.max(0, list.length - 1));
      if (key.upArrow || (!filterable && input === 'k')) return move(now <= 0 ? list.length - 1 : now - 1);
      if (key.downArrow || (!filterable && input === 'j')) return move(now >= list.length - 1 ? 0 : now + 1);
      if (key.return) {
        const c = list[now];
        if (c) props.onSelect(c.value);
        return;
      }
      // a number picks that choice at once (in a short list; a long one takes digits as its filter)
      if (!filterable && /^[1-9]$/.test(input)) {
        const c = list[Number(input) - 1];
        if (c) props.onSelect(c.value);
        return;
      }
      if (!filterable) return;
      const next = editLine({ value: live.current.filter, cursor: live.current.filter.length }, input, key);
      if (next && next.value !== live.current.filter) {
        live.current.filter = next.value;
        setFilter(next.value);
        move(0);
      }
    },
    { isActive: active },
  );
  const items = shown.map((c) => ({ key: c.value, label: c.label, value: c.value }));
  return (
    <Box flexDirection="column">
      {filterable ? (
        <Text dimColor>
          {filter ? `filter: ${filter}  ·  ${shown.length} of ${enabled.length} match` : `${enabled.length} choices: type to narrow them`}
        </Text>
      ) : null}
      {/* drawn only: the keys are handled above, in order */}
      <SelectInput key={`${filter}:${at}`} items={items} isFocused={false} initialIndex={at} limit={filterable ? WINDOW : items.length} />
      {disabled.map((c) => (
        <Text key={c.value} dimColor>
          {'  '}
          {c.label}
          {`  (unavailable: ${c.disabled})`}
        </Text>
      ))}
    </Box>
  );
}
