import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { useState } from 'react';
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
  useInput(
    (input, key) => {
      if (key.upArrow) return setCursor(at <= 0 ? shown.length - 1 : at - 1);
      if (key.downArrow) return setCursor(at >= shown.length - 1 ? 0 : at + 1);
      if (key.return) {
        const c = shown[at];
        if (c) props.onSelect(c.value);
        return;
      }
      const next = editLine({ value: filter, cursor: filter.length }, input, key);
      if (next && next.value !== filter) {
        setFilter(next.value);
        setCursor(0);
      }
    },
    { isActive: active && filterable },
  );
  const items = shown.map((c) => ({ key: c.value, label: c.label, value: c.value }));
  return (
    <Box flexDirection="column">
      {filterable ? (
        <Text dimColor>
          {filter ? `filter: ${filter}  ·  ${shown.length} of ${enabled.length} match` : `${enabled.length} choices: type to narrow them`}
        </Text>
      ) : null}
      {filterable ? (
        <SelectInput key={`${filter}:${at}`} items={items} isFocused={false} initialIndex={at} limit={WINDOW} />
      ) : (
        <SelectInput items={items} isFocused={active} initialIndex={start} onSelect={(i) => props.onSelect(i.value)} />
      )}
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
