import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { advancedProblem } from '../../wizard/choices.js';
import type { Advanced } from '../../wizard/types.js';
import { TextField } from '../components/TextField.js';

type Field = 'ip' | 'mac' | 'password' | 'branch' | 'snapshot' | 'autostart';
const FIELDS: Field[] = ['ip', 'mac', 'password', 'branch', 'snapshot', 'autostart'];

/**
 * Advanced options behind a toggle (remembered between sessions). Closed: Enter goes on with the
 * defaults. Open: one field at a time; Enter moves on; empty keeps the default.
 */
export function AdvancedScreen(props: {
  open: boolean;
  values: Advanced;
  nextIp?: string;
  defaultBranch: string;
  onToggle: (open: boolean) => void;
  onDone: (a: Advanced) => void;
}) {
  const [values, setValues] = useState<Advanced>(props.values);
  const [field, setField] = useState(0);
  const [error, setError] = useState<string>();
  const f = FIELDS[field]!;
  // keys that arrive together act on what the one before left (refs, not the last frame's state)
  const live = useRef({ values, field });
  const next = (patch: Partial<Advanced>) => {
    const merged = { ...live.current.values, ...patch };
    live.current.values = merged;
    setValues(merged);
    if (live.current.field < FIELDS.length - 1) {
      live.current.field += 1;
      return setField(live.current.field);
    }
    const p = advancedProblem(merged);
    if (p) return setError(p);
    props.onDone(merged);
  };
  useInput((input, key) => {
    if (!props.open) {
      if (input === 'a') props.onToggle(true);
      else if (key.return) props.onDone(live.current.values);
      return;
    }
    if (input === 'a' && key.ctrl) props.onToggle(false);
    const now = FIELDS[live.current.field]!;
    if (now === 'snapshot' || now === 'autostart') {
      if (input === 'y') next({ [now]: true });
      else if (input === 'n') next({ [now]: false });
      else if (key.return) next({});
    }
  });
  if (!props.open) {
    return (
      <Box flexDirection="column">
        <Text bold>Advanced options</Text>
        <Text>
          IP, MAC, password, bootsalt branch, snapshot, autostart: defaults (IP {props.nextIp ?? 'allocated'}, MAC and password generated).
        </Text>
        <Text dimColor>a: show the advanced options · Enter: keep the defaults</Text>
      </Box>
    );
  }
  const text = (label: string, key: 'ip' | 'mac' | 'password' | 'branch', placeholder: string, mask?: string) => (
    <TextField
      key={key}
      label={label}
      initial={values[key] ?? ''}
      placeholder={placeholder}
      mask={mask}
      check={(v) => (v ? advancedProblem({ [key]: v }) : undefined)}
      onSubmit={(v) => next({ [key]: v || undefined })}
    />
  );
  return (
    <Box flexDirection="column">
      <Text bold>Advanced options</Text>
      <Text dimColor>empty keeps the default · ctrl-a hides them</Text>
      {f === 'ip' && text('IP:', 'ip', props.nextIp ? `${props.nextIp} (next free)` : 'allocated')}
      {f === 'mac' && text('MAC:', 'mac', 'generated 00:16:3e:…')}
      {f === 'password' && text('Password:', 'password', 'generated, 32 characters', '*')}
      {f === 'branch' && text('Bootsalt branch:', 'branch', props.defaultBranch)}
      {f === 'snapshot' && <Text>Snapshot clone? y / n / Enter for the default</Text>}
      {f === 'autostart' && <Text>Autostart? y / n / Enter for the default (yes)</Text>}
      {error ? <Text color="red">✗ {error}</Text> : null}
    </Box>
  );
}
