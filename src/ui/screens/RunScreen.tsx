import { Box, Text } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { RunStore, StepView } from '../run-store.js';
import { Select } from '../components/Select.js';

export type FailureAction = 'retry' | 'skip' | 'abort';

const ICON: Record<string, string> = { done: '✔', skipped: '↓', failed: '✖', interrupted: '■', running: '⠋', 'not-run': '·' };

function line(s: StepView, now: number, showTime: boolean): string {
  const secs =
    s.durationMs !== undefined ? s.durationMs / 1000 : s.state === 'running' && s.startedAt ? (now - s.startedAt) / 1000 : undefined;
  const time = showTime && secs !== undefined ? ` (${secs.toFixed(1)}s)` : '';
  const reason = s.state === 'skipped' && s.reason ? ` [skipped: ${s.reason}]` : '';
  return `${ICON[s.state] ?? '?'} ${s.name}${time}${reason}`;
}

/** Every step with its state, elapsed time and last output line; on failure: error, hint, log, choices. */
export function RunScreen(props: { store: RunStore; confirmAbort: boolean; showTime?: boolean; onFailure: (a: FailureAction) => void }) {
  const snap = useSyncExternalStore(props.store.subscribe, props.store.get);
  const running = snap.steps.some((s) => s.state === 'running');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(t);
  }, [running]);
  const failed = snap.steps.find((s) => s.state === 'failed' || s.state === 'interrupted');
  return (
    <Box flexDirection="column">
      <Text bold>Provisioning</Text>
      {snap.steps.map((s) => (
        <Box key={s.name} flexDirection="column">
          <Text color={s.state === 'failed' ? 'red' : s.state === 'done' ? 'green' : undefined}>
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
      {props.confirmAbort ? <Text color="yellow">Abort the running step? Press Ctrl-C again to abort, any other key to go on.</Text> : null}
      {snap.done && failed ? (
        <Box flexDirection="column" marginTop={1}>
          <Text color="red">
            {failed.name} {failed.state}: {failed.error}
          </Text>
          {failed.hint ? <Text>hint: {failed.hint}</Text> : null}
          {snap.logFile ? <Text dimColor>log: {snap.logFile}</Text> : null}
          <Select<FailureAction>
            choices={[
              { value: 'retry', label: `retry from ${failed.name}` },
              { value: 'skip', label: `skip ${failed.name} and go on` },
              { value: 'abort', label: 'abort (the entry stays in the pillar; a re-run resumes here)' },
            ]}
            onSelect={props.onFailure}
          />
        </Box>
      ) : null}
    </Box>
  );
}
