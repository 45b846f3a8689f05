import { printable } from '../core/printable.js';
import type { RunEvent, RunListener } from '../core/run-events.js';
import { NODE_SETUP, STEP_STATE_WORDS, type StepState } from '../core/steps.js';

export const STATE_ICON: Record<StepState, string> = {
  running: '…',
  done: '✔',
  'already-done': '✔',
  skipped: '↓',
  failed: '✖',
  interrupted: '■',
  'not-run': '·',
};

/** `web01.example.com`, or `n1.local (node setup)`: what every line starts with. */
export function rowName(e: { node: string; vm: string }): string {
  return e.vm === NODE_SETUP ? `${e.node} (node setup)` : e.vm;
}

/** `✔ done 1.0s`, `↓ skipped (--no-salt)`, `✖ failed 2.1s: why`. */
export function stateText(s: { state: StepState; durationMs?: number; reason?: string; error?: string }, withTime = true): string {
  const time = withTime && s.durationMs !== undefined && s.state !== 'skipped' ? ` ${(s.durationMs / 1000).toFixed(1)}s` : '';
  const why = s.state === 'skipped' && s.reason ? ` (${s.reason})` : s.state === 'done' && s.reason ? ` (${s.reason})` : '';
  const err = (s.state === 'failed' || s.state === 'interrupted') && s.error && s.error !== 'interrupted' ? `: ${s.error}` : '';
  return `${STATE_ICON[s.state]} ${STEP_STATE_WORDS[s.state]}${time}${why}${err}`;
}

/**
 * Progress as lines, for logs, CI and screen readers: one line per finished step, each naming its
 * VM and step, no escape codes, stable enough to grep (`grep '^web01.example.com '`).
 */
export function runLines(write: (line: string) => void): RunListener {
  return (e: RunEvent) => {
    if (e.type === 'progress') return write(printable(`${rowName(e)}  ${e.step}  › ${e.line}`));
    if (e.type !== 'step') return;
    if (e.state === 'running') return write(printable(`${rowName(e)}  ${e.step}  … running`));
    write(printable(`${rowName(e)}  ${e.step}  ${stateText(e)}`));
    if (e.hint && (e.state === 'failed' || e.state === 'interrupted')) write(printable(`${rowName(e)}  ${e.step}  hint: ${e.hint}`));
  };
}
