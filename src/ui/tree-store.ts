import { clockNow } from './clock.js';
import type { RunEvent } from '../core/run-events.js';
import { readiness, type StepState } from '../core/steps.js';
import type { StepView } from './run-store.js';

/** One row of the tree: a VM (or a node's setup) and its steps. */
export interface TreeRow {
  node: string;
  vm: string;
  steps: StepView[];
  startedAt?: number;
  endedAt?: number;
}

export interface TreeSnapshot {
  rows: TreeRow[];
  notes: string[];
  logFile?: string;
  ended: boolean;
}

export type RowStatus = 'waiting' | 'running' | 'ready' | 'not-ready' | 'failed';

const STOPPED: ReadonlySet<StepState> = new Set(['failed', 'interrupted']);

/** Where a row stands: failed as soon as a step failed; finished when its last step has a state. */
export function rowStatus(r: TreeRow): RowStatus {
  if (r.steps.some((s) => STOPPED.has(s.state))) return 'failed';
  if (r.steps.every((s) => s.state === 'not-run')) return 'waiting';
  const last = r.steps[r.steps.length - 1]!;
  if (last.state === 'not-run' || r.steps.some((s) => s.state === 'running')) return 'running';
  return readiness(r.steps).ready ? 'ready' : 'not-ready';
}

/**
 * The live tree of a provisioning run (node → VM → step), fed by the run's events: the same
 * events the log, --json and the line view hear. A new snapshot on every change (useSyncExternalStore).
 */
export class TreeStore {
  private snap: TreeSnapshot;
  private readonly listeners = new Set<() => void>();
  constructor(order: { node: string; vm: string; steps: readonly string[] }[]) {
    this.snap = {
      rows: order.map((o) => ({ node: o.node, vm: o.vm, steps: o.steps.map((name) => ({ name, state: 'not-run' })) })),
      notes: [],
      ended: false,
    };
  }
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  get = () => this.snap;
  private set(next: TreeSnapshot) {
    this.snap = next;
    for (const l of this.listeners) l();
  }
  readonly listener = (e: RunEvent) => {
    if (e.type === 'command') return;
    const now = clockNow();
    const rows = this.snap.rows.map((r) => {
      if (r.node !== e.node || r.vm !== e.vm) return r;
      const steps = r.steps.map((s) => {
        if (s.name !== e.step) return s;
        if (e.type === 'progress') return { ...s, lastLine: e.line };
        return {
          ...s,
          state: e.state,
          startedAt: e.state === 'running' ? now : s.startedAt,
          durationMs: e.durationMs,
          error: e.error,
          hint: e.hint,
          reason: e.reason,
        };
      });
      const next: TreeRow = { ...r, steps, startedAt: r.startedAt ?? now };
      const status = rowStatus(next);
      return status === 'ready' || status === 'not-ready' || status === 'failed' ? { ...next, endedAt: r.endedAt ?? now } : next;
    });
    this.set({ ...this.snap, rows });
  };
  note(line: string) {
    this.set({ ...this.snap, notes: [...this.snap.notes, line] });
  }
  end(logFile: string | undefined) {
    this.set({ ...this.snap, ended: true, ...(logFile ? { logFile } : {}) });
  }
}
