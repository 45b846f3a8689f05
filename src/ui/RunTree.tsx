import { elapsed } from './clock.js';
import { Box, Text } from 'ink';
import { useSyncExternalStore } from 'react';
import { NODE_SETUP, readiness, STEP_STATE_WORDS } from '../core/steps.js';
import { printable } from '../core/printable.js';
import { useClock } from './hooks/useClock.js';
import { STATE_ICON } from './run-lines.js';
import type { StepView } from './run-store.js';
import { rowStatus, type RowStatus, type TreeRow, type TreeStore } from './tree-store.js';

const SPINNER = '⠋';
const ROW_ICON: Record<RowStatus, string> = { waiting: '·', running: SPINNER, ready: '✔', 'not-ready': '↓', failed: '✖' };

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function stepLine(s: StepView, now: number): string {
  const t =
    s.durationMs !== undefined
      ? ` ${secs(s.durationMs)}`
      : s.state === 'running' && s.startedAt
        ? ` ${secs(elapsed(now, s.startedAt))}`
        : '';
  const icon = s.state === 'running' ? SPINNER : STATE_ICON[s.state];
  const word = s.state === 'running' || s.state === 'not-run' ? '' : ` ${STEP_STATE_WORDS[s.state]}`;
  const why = s.reason && (s.state === 'skipped' || s.state === 'done') ? ` (${s.reason})` : '';
  return `${icon} ${s.name}${word}${s.state === 'skipped' ? '' : t}${why}`;
}

/** A finished VM in one line: ready with its counts, or what was not done. */
function summary(r: TreeRow, status: RowStatus): string {
  const counts = new Map<string, number>();
  for (const s of r.steps) counts.set(STEP_STATE_WORDS[s.state], (counts.get(STEP_STATE_WORDS[s.state]) ?? 0) + 1);
  const took = r.startedAt && r.endedAt ? ` ${secs(elapsed(r.endedAt, r.startedAt))}` : '';
  const c = [...counts].map(([w, n]) => `${n} ${w}`).join(', ');
  if (status === 'ready') return `${r.vm === NODE_SETUP ? 'done' : 'ready'} (${c})${took}`;
  const notDone = readiness(r.steps).notDone.map((s) => `${s.name}${s.reason ? ` (${s.reason})` : ''}`);
  return `provisioned, not done: ${notDone.join(', ')}${took}`;
}

function Row(props: { row: TreeRow; now: number }) {
  const { row, now } = props;
  const status = rowStatus(row);
  const name = row.vm === NODE_SETUP ? 'node setup' : row.vm;
  const failed = row.steps.find((s) => s.state === 'failed' || s.state === 'interrupted');
  const open = status === 'running' || status === 'failed';
  return (
    <Box flexDirection="column" marginLeft={2}>
      <Text color={status === 'failed' ? 'red' : status === 'ready' ? 'green' : status === 'not-ready' ? 'yellow' : undefined}>
        {ROW_ICON[status]} {printable(name)}
        {status === 'ready' || status === 'not-ready'
          ? `  ${summary(row, status)}`
          : status === 'failed'
            ? `  failed at ${failed!.name}`
            : ''}
      </Text>
      {open
        ? row.steps
            // a failed VM keeps what ran; the steps it never reached add nothing
            .filter((s) => status === 'running' || s.state !== 'not-run')
            .map((s) => (
              <Box key={s.name} flexDirection="column" marginLeft={4}>
                <Text color={s.state === 'failed' ? 'red' : undefined} dimColor={s.state === 'not-run'}>
                  {stepLine(s, now)}
                </Text>
                {s.state === 'running' && s.lastLine ? <Text dimColor>{`  › ${printable(s.lastLine).slice(0, 100)}`}</Text> : null}
              </Box>
            ))
        : null}
      {failed ? (
        <Box flexDirection="column" marginLeft={4}>
          {failed.error ? <Text color="red">{printable(failed.error)}</Text> : null}
          {failed.hint ? <Text>hint: {printable(failed.hint)}</Text> : null}
        </Box>
      ) : null}
    </Box>
  );
}

/**
 * `--yes` on a terminal: node → VM → step, live. A VM being provisioned shows its steps with their
 * state, elapsed time and last output line; a finished VM folds to one line; a failed one stays
 * open with its error and hint, and the log path once the run has ended. A node is ✔ only when
 * every VM on it is ready.
 */
export function RunTree(props: { store: TreeStore }) {
  const snap = useSyncExternalStore(props.store.subscribe, props.store.get);
  const now = useClock(!snap.ended);
  const nodes = [...new Set(snap.rows.map((r) => r.node))];
  return (
    <Box flexDirection="column">
      {nodes.map((node) => {
        const statuses = snap.rows.filter((r) => r.node === node).map(rowStatus);
        const icon = statuses.includes('failed')
          ? '✖'
          : statuses.every((x) => x === 'ready')
            ? '✔'
            : statuses.every((x) => x === 'ready' || x === 'not-ready')
              ? '↓'
              : statuses.some((x) => x !== 'waiting')
                ? SPINNER
                : '·';
        return (
          <Box key={node} flexDirection="column">
            <Text bold color={icon === '✖' ? 'red' : icon === '✔' ? 'green' : undefined}>
              {icon} {printable(node)}
            </Text>
            {snap.rows
              .filter((r) => r.node === node)
              .map((r) => (
                <Row key={r.vm} row={r} now={now} />
              ))}
          </Box>
        );
      })}
      {snap.notes.map((n, i) => (
        <Text key={i} color="yellow">
          {printable(n)}
        </Text>
      ))}
      {snap.ended && snap.logFile && snap.rows.some((r) => rowStatus(r) === 'failed') ? <Text dimColor>log: {snap.logFile}</Text> : null}
    </Box>
  );
}

/** Draw the tree on stderr until the run ends; the last frame stays on the terminal. */
export async function mountRunTree(store: TreeStore): Promise<{ unmount(): Promise<void> }> {
  const { render } = await import('ink');
  const instance = render(<RunTree store={store} />, { stdout: process.stderr, patchConsole: false, exitOnCtrlC: false });
  return {
    unmount: async () => {
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
    },
  };
}
