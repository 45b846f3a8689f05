import type { RunEvent } from '../core/run-events.js';
import type { StepState } from '../core/steps.js';

export interface StepView {
  name: string;
  state: StepState;
  startedAt?: number;
  durationMs?: number;
  lastLine?: string;
  error?: string;
  hint?: string;
  reason?: string;
}

export interface RunSnapshot {
  steps: StepView[];
  done: boolean;
  ok?: boolean;
  logFile?: string;
}

/**
 * The run view's state, fed by the engine's run events (the same events the log and --json
 * hear). A new snapshot object on every change, so React sees it (useSyncExternalStore).
 */
export class RunStore {
  private snap: RunSnapshot;
  private readonly listeners = new Set<() => void>();
  constructor(steps: string[]) {
    this.snap = { steps: steps.map((name) => ({ name, state: 'not-run' })), done: false };
  }
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  get = () => this.snap;
  private set(next: RunSnapshot) {
    this.snap = next;
    for (const l of this.listeners) l();
  }
  reset(steps: string[]) {
    this.set({ steps: steps.map((name) => ({ name, state: 'not-run' })), done: false });
  }
  readonly listener = (e: RunEvent) => {
    if (e.type === 'command') return;
    const steps = this.snap.steps.map((s) => {
      if (s.name !== e.step) return s;
      if (e.type === 'progress') return { ...s, lastLine: e.line };
      return {
        ...s,
        state: e.state,
        startedAt: e.state === 'running' ? Date.now() : s.startedAt,
        durationMs: e.durationMs,
        error: e.error,
        hint: e.hint,
        reason: e.reason,
      };
    });
    this.set({ ...this.snap, steps });
  };
  finish(ok: boolean, logFile: string) {
    this.set({ ...this.snap, done: true, ok, logFile });
  }
}
