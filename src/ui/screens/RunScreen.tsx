import { elapsed } from '../clock.js';
import { Box, Text } from 'ink';
import { useSyncExternalStore } from 'react';
import { STEP_STATE_WORDS } from '../../core/steps.js';
import { useClock } from '../hooks/useClock.js';
import { STATE_ICON } from '../run-lines.js';
import type { RunStore, StepView } from '../run-store.js';
import { Select } from '../components/Select.js';
import type { Choice } from '../../wizard/types.js';

const SPINNER = '⠋';

function line(s: StepView, now: number, showTime: boolean): string {
  const secs =
    s.durationMs !== undefined ? s.durationMs / 1000 : s.state === 'running' && s.startedAt ? elapsed(now, s.startedAt) / 1000 : undefined;
  const time = showTime && secs !== undefined && s.state !== 'skipped' && s.state !== 'not-run' ? ` (${secs.toFixed(1)}s)` : '';
  const icon = s.state === 'running' ? SPINNER : STATE_ICON[s.state];
  const word = s.state === 'running' || s.state === 'not-run' || s.state === 'done' ? '' : `  ${STEP_STATE_WORDS[s.state]}`;
  const reason = s.reason && (s.state === 'skipped' || s.state === 'done') ? ` (${s.reason})` : '';
  return `${icon} ${s.name}${time}${word}${reason}`;
}

/**
 * Every step of a run (or of node setup) with its state, elapsed time and last output line. Once it
 * stopped at a failure: the error, its hint, the log, and what the operator can do.
 */
export function RunScreen<T extends string>(props: {
  title: string;
  store: RunStore;
  failed: boolean;
  logFile?: string;
  confirmAbort: boolean;
  showTime?: boolean;
  choices: Choice<T>[];
  onChoice: (a: T) => void;
}) {
  const snap = useSyncExternalStore(props.store.subscribe, props.store.get);
  const running = snap.steps.some((s) => s.state === 'running');
  const now = useClock(running);
  const failed = snap.steps.find((s) => s.state === 'failed' || s.state === 'interrupted');
  return (
    <Box flexDirection="column">
      <Text bold>{props.title}</Text>
      {snap.steps.map((s) => (
        <Box key={s.name} flexDirection="column">
          <Text
            color={s.state === 'failed' ? 'red' : s.state === 'done' || s.state === 'already-done' ? 'green' : undefined}
            dimColor={s.state === 'skipped'}
          >
            {line(s, now, props.showTime !== false)}
          </Text>
          {s.state === 'running' && s.lastLine ? (
            <Text dimColor>
              {'  › '}
              {s.lastLine.slice(0, 100)}
            </Text>
          ) : null}
        </Box>
      ))}
      {props.confirmAbort ? (
        <Text color="yellow">Abort what is running on the node? Press Ctrl-C again to abort, any other key to go on.</Text>
      ) : null}
      {props.failed ? (
        <Box flexDirection="column" marginTop={1}>
          {failed ? (
            <Text color="red">
              {failed.name} {failed.state}: {failed.error}
            </Text>
          ) : null}
          {failed?.hint ? <Text>hint: {failed.hint}</Text> : null}
          {props.logFile ? <Text dimColor>log: {props.logFile}</Text> : null}
          <Select<T> choices={props.choices} onSelect={props.onChoice} />
        </Box>
      ) : null}
    </Box>
  );
}
