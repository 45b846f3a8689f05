import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTask } from 'listr2';
import { InterruptedError, UserError } from '../core/errors.js';
import type { ResolvedVm } from '../core/resolved-vm.js';
import type { RunEvent, RunListener } from '../core/run-events.js';
import { STEP_NAMES, type StepName, type StepState } from '../core/steps.js';
import { commandScope, type NodeSession } from './node-session.js';
import { StepError, type RunOptions, type Step, type StepContext } from './steps/step.js';
import { STEPS } from './steps/index.js';

/** The ledger of step results, per VM: where a re-run resumes. Stored by the caller. */
export interface Ledger {
  get(node: string, vm: string): Promise<Partial<Record<StepName, { state: StepState; at: string }>>>;
  record(node: string, vm: string, step: StepName, state: StepState): Promise<void>;
}

export interface RunConfig {
  vms: ResolvedVm[];
  session(node: string): NodeSession;
  opts: RunOptions;
  /** run only these of the six (preflight always runs) */
  only?: StepName[];
  /** start at this step; earlier steps are not run */
  from?: StepName;
  /** VMs at once per compute node */
  concurrency: number;
  ledger: Ledger;
  listeners: RunListener[];
  signal: AbortSignal;
  /** 'simple' writes plain lines to `stderr`; 'silent' draws nothing (Ink or tests draw instead) */
  renderer: 'simple' | 'default' | 'silent';
  stderr?: NodeJS.WriteStream;
}

export function selectedSteps(only?: StepName[], from?: StepName): Step[] {
  const fromIdx = from ? STEP_NAMES.indexOf(from) : 0;
  return STEPS.filter((s, i) => s.name === 'preflight' || ((!only || only.includes(s.name)) && i >= fromIdx));
}

/**
 * check → apply → verify, reported as events: a step whose check finds its result in place is
 * `already-done`, one whose check gives a reason is `skipped` with it, otherwise it runs (`done`).
 */
export async function runStep(step: Step, ctx: StepContext, emit: (e: RunEvent) => void): Promise<{ state: StepState; reason?: string }> {
  const started = Date.now();
  const report = (state: StepState, extra: { reason?: string; error?: string; hint?: string } = {}) =>
    emit({
      type: 'step',
      node: ctx.node,
      vm: ctx.vm,
      step: step.name,
      state,
      ...extra,
      ...(state === 'running' ? {} : { durationMs: Date.now() - started }),
    });
  report('running');
  try {
    if (ctx.signal.aborted) throw new InterruptedError();
    const done = await step.check(ctx);
    if (done === true) {
      report('already-done');
      return { state: 'already-done' };
    }
    if (typeof done === 'string') {
      report('skipped', { reason: done });
      return { state: 'skipped', reason: done };
    }
    await step.apply(ctx);
    if (step.verify && !ctx.opts.dryRun) await step.verify(ctx);
    else if (!ctx.opts.dryRun && step.name !== 'preflight' && (await step.check(ctx)) === false) {
      throw new StepError(`${step.name} ran but its result is not in place`, 'the log file shows each command and its output');
    }
    report('done', ctx.opts.dryRun ? { reason: 'dry run' } : {});
    return { state: 'done' };
  } catch (err) {
    const interrupted = err instanceof InterruptedError || ctx.signal.aborted;
    const hint = err instanceof UserError ? err.hint : undefined;
    report(interrupted ? 'interrupted' : 'failed', {
      error: interrupted ? 'interrupted' : (err as Error).message,
      ...(hint ? { hint } : {}),
    });
    throw err;
  }
}

/** What the ledger keeps: a step found in place counts as done for the next run. */
function ledgerState(s: StepState): StepState {
  return s === 'already-done' ? 'done' : s;
}

/**
 * One listr2 group per compute node (its VMs at most `concurrency` at once), one subgroup per VM
 * (its steps in order; the first failure stops that VM), nodes and VMs independent of each other.
 */
export async function runProvision(cfg: RunConfig): Promise<void> {
  const emit = (e: RunEvent) => cfg.listeners.forEach((l) => l(e));
  const steps = selectedSteps(cfg.only, cfg.from);
  const byNode = new Map<string, ResolvedVm[]>();
  for (const v of cfg.vms) (byNode.get(v.node) ?? byNode.set(v.node, []).get(v.node)!).push(v);

  const vmTask = (v: ResolvedVm): ListrTask => ({
    title: v.name,
    task: async (_ctx, vmTaskWrapper) => {
      const ledger = await cfg.ledger.get(v.node, v.name);
      return vmTaskWrapper.newListr(
        steps.map((step) => ({
          title: step.name,
          task: async (_c, t) => {
            const ctx: StepContext = {
              node: v.node,
              vm: v.name,
              v,
              session: cfg.session(v.node),
              opts: cfg.opts,
              signal: cfg.signal,
              spawnedBefore: ledger.spawn?.state === 'done',
              progress: (line) => {
                t.output = line;
                emit({ type: 'progress', node: v.node, vm: v.name, step: step.name, line });
              },
            };
            try {
              const r = await commandScope.run({ vm: v.name, step: step.name }, () => runStep(step, ctx, emit));
              if (!cfg.opts.dryRun) await cfg.ledger.record(v.node, v.name, step.name, ledgerState(r.state));
              if (r.state === 'already-done') t.skip('already done');
              else if (r.state === 'skipped') t.skip(`skipped: ${r.reason}`);
            } catch (err) {
              if (!cfg.opts.dryRun) {
                const state = err instanceof InterruptedError || cfg.signal.aborted ? 'interrupted' : 'failed';
                await cfg.ledger.record(v.node, v.name, step.name, state).catch(() => undefined);
              }
              throw new Error((err as Error).message);
            }
          },
        })),
        { concurrent: false, exitOnError: true },
      );
    },
  });

  const logger = new ListrLogger({ processOutput: new ProcessOutput(cfg.stderr ?? process.stderr, cfg.stderr ?? process.stderr) });
  const rendererOptions = { timer: PRESET_TIMER, logger };
  const list = new Listr(
    [...byNode].map(([node, vms]) => ({
      title: `compute node ${node}`,
      task: (_c: unknown, t: { newListr: (tasks: ListrTask[], o: object) => unknown }) =>
        t.newListr(vms.map(vmTask), { concurrent: cfg.concurrency, exitOnError: false }),
    })) as ListrTask[],
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: cfg.renderer,
      fallbackRenderer: cfg.renderer === 'silent' ? 'silent' : 'simple',
      rendererOptions,
      fallbackRendererOptions: rendererOptions,
      collectErrors: false,
    } as never,
  );
  await list.run();
}
