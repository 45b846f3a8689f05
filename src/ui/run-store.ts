import { clockNow } from './clock.js';
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
}

/**
 * The run view's state, fed by the engine's run events (the same events the log and --json
 * hear). A new snapshot object on every change, so React sees it (useSyncExternalStore).
 */
export class RunStore {
  private snap: RunSnapshot;
  private readonly listeners = new Set<() => void>();
  constructor(steps: string[]) {
    this.snap = { steps: steps.map((name) => ({ name, state: 'not-run' })) };
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
  /**
   * A new run over these steps. From a step (a retry or a skip), the steps before it keep what they
   * showed, or what the wizard settled them as (`settled`: a step skipped by the operator).
   */
  restart(steps: string[], from?: string, settled: { name: string; state: StepState; reason?: string }[] = []) {
    const start = from ? steps.indexOf(from) : 0;
    this.from = start;
    const old = new Map<string, StepView>(this.snap.steps.map((s) => [s.name, s]));
    for (const s of settled)
      if (old.get(s.name)?.state !== s.state) old.set(s.name, { name: s.name, state: s.state, ...(s.reason ? { reason: s.reason } : {}) });
    this.set({
      steps: steps.map((name, i) => (i > 0 && i < start && old.has(name) ? old.get(name)! : { name, state: 'not-run' })),
    });
  }
  private from = 0;
  readonly listener = (e: RunEvent) => {
    if (e.type === 'command') return;
    const steps = this.snap.steps.map((s, i) => {
      // the steps before a retry's start are not run again: what they showed stays
      if (s.name !== e.step || (i > 0 && i < this.from)) return s;
      if (e.type === 'progress') return { ...s, lastLine: e.line };
      return {
        ...s,
        state: e.state,
        startedAt: e.state === 'running' ? clockNow() : s.startedAt,
        durationMs: e.durationMs,
        error: e.error,
        hint: e.hint,
        reason: e.reason,
      };
    });
    this.set({ ...this.snap, steps });
  };
}
