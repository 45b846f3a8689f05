import type { StepState, TaskName } from './steps.js';

/**
 * What a run reports. One stream, many listeners: the ledger, the log file, the renderers, the
 * wizard's run view and --json all hear the same events.
 */
export type RunEvent =
  | {
      type: 'step';
      node: string;
      vm: string;
      step: TaskName;
      state: StepState;
      reason?: string;
      error?: string;
      hint?: string;
      durationMs?: number;
    }
  | { type: 'progress'; node: string; vm: string; step: TaskName; line: string }
  | {
      type: 'command';
      node: string;
      /** the VM and step the command belongs to, when a step sent it */
      vm?: string;
      step?: TaskName;
      argv: string[];
      stdin?: string;
      code?: number | null;
      signal?: string | null;
      durationMs?: number;
      stdoutTail?: string;
      stderrTail?: string;
      error?: string;
      dryRun: boolean;
      /** sent with others in one round trip (one exec): its place in that batch */
      batch?: { index: number; of: number };
    };

export type RunListener = (e: RunEvent) => void;

export interface StepRecord {
  name: TaskName;
  state: StepState;
  reason?: string;
  error?: string;
  hint?: string;
  durationMs?: number;
}

export interface VmResult {
  node: string;
  name: string;
  ok: boolean;
  steps: StepRecord[];
}

/** Collects step events into per-VM results (the --json document, the summary, the result screen). */
export class ResultCollector {
  private readonly vms = new Map<string, VmResult>();
  constructor(order: { node: string; vm: string; steps: readonly TaskName[] }[]) {
    for (const o of order) {
      this.vms.set(`${o.node}\0${o.vm}`, {
        node: o.node,
        name: o.vm,
        ok: true,
        steps: o.steps.map((name) => ({ name, state: 'not-run' })),
      });
    }
  }
  readonly listener: RunListener = (e) => {
    if (e.type !== 'step') return;
    const r = this.vms.get(`${e.node}\0${e.vm}`);
    const s = r?.steps.find((x) => x.name === e.step);
    if (!r || !s) return;
    Object.assign(s, { state: e.state, reason: e.reason, error: e.error, hint: e.hint, durationMs: e.durationMs });
    for (const k of ['reason', 'error', 'hint', 'durationMs'] as const) if (s[k] === undefined) delete s[k];
    if (e.state === 'failed' || e.state === 'interrupted') r.ok = false;
  };
  results(): VmResult[] {
    return [...this.vms.values()];
  }
}
