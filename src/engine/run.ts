import { Listr, ListrLogger, PRESET_TIMER, ProcessOutput, type ListrTask } from 'listr2';
import type { ProfileTypeInfo } from '../core/profile-types.js';
import type { RunEvent, RunListener, StepState } from './events.js';
import { tail } from './run-log.js';
import type { NodeSession } from './node-session.js';
import { AbortedError, HintedError } from './transport.js';
import { StepError, STEP_NAMES, type RunOptions, type Step, type StepContext, type StepName, type VmValues } from './steps/context.js';
import { STEPS } from './steps/index.js';

export interface RunVm {
  node: string;
  vm: string;
  values: VmValues;
  type: ProfileTypeInfo;
}

/** The ledger of step results, per VM: where a re-run resumes. Stored by the caller. */
export interface Ledger {
  get(node: string, vm: string): Promise<Partial<Record<StepName, { state: StepState; at: string }>>>;
  record(node: string, vm: string, step: StepName, state: StepState): Promise<void>;
}

export interface RunConfig {
  vms: RunVm[];
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

/** check → apply → verify, reported as events; a step whose check holds is "skipped: already done". */
export async function runStep(step: Step, ctx: StepContext, emit: (e: RunEvent) => void): Promise<{ state: StepState; reason?: string }> {
  const base = { type: 'step' as const, node: ctx.node, vm: ctx.vm, step: step.name };
  const started = Date.now();
  emit({ ...base, state: 'running' });
  try {
    if (ctx.signal.aborted) throw new AbortedError();
    const done = await step.check(ctx);
    if (done !== false) {
      const reason = done === true ? 'already done' : done;
      emit({ ...base, state: 'skipped', reason, durationMs: Date.now() - started });
      return { state: 'skipped', reason };
    }
    await step.apply(ctx);
    if (step.verify && !ctx.opts.dryRun) await step.verify(ctx);
    else if (!ctx.opts.dryRun && step.name !== 'preflight' && (await step.check(ctx)) === false) {
      throw new StepError(`${step.name} ran but its result is not in place`, 'the log file shows each command and its output');
    }
    emit({ ...base, state: 'done', durationMs: Date.now() - started, ...(ctx.opts.dryRun ? { reason: 'dry run' } : {}) });
    return { state: 'done' };
  } catch (err) {
    const interrupted = err instanceof AbortedError || ctx.signal.aborted;
    const hint = err instanceof HintedError ? err.hint : undefined;
    emit({
      ...base,
      state: interrupted ? 'interrupted' : 'failed',
      error: interrupted ? 'interrupted' : (err as Error).message,
      ...(hint ? { hint } : {}),
      durationMs: Date.now() - started,
    });
    throw err;
  }
}

/**
 * One listr2 group per compute node (its VMs at most `concurrency` at once), one subgroup per VM
 * (its steps in order; the first failure stops that VM), nodes and VMs independent of each other.
 */
export async function runProvision(cfg: RunConfig): Promise<void> {
  const emit = (e: RunEvent) => cfg.listeners.forEach((l) => l(e));
  const steps = selectedSteps(cfg.only, cfg.from);
  const byNode = new Map<string, RunVm[]>();
  for (const v of cfg.vms) (byNode.get(v.node) ?? byNode.set(v.node, []).get(v.node)!).push(v);

  const vmTask = (rv: RunVm): ListrTask => ({
    title: rv.vm,
    task: async (_ctx, vmTaskWrapper) => {
      const ledger = await cfg.ledger.get(rv.node, rv.vm);
      return vmTaskWrapper.newListr(
        steps.map((step) => ({
          title: step.title,
          task: async (_c, t) => {
            const ctx: StepContext = {
              node: rv.node,
              vm: rv.vm,
              v: rv.values,
              type: rv.type,
              session: cfg.session(rv.node),
              opts: cfg.opts,
              signal: cfg.signal,
              spawnedBefore: ledger.spawn?.state === 'done' || ledger.spawn?.state === 'skipped',
              progress: (line) => {
                t.output = line;
                emit({ type: 'progress', node: rv.node, vm: rv.vm, step: step.name, line });
              },
            };
            try {
              const r = await runStep(step, ctx, emit);
              if (!cfg.opts.dryRun) await cfg.ledger.record(rv.node, rv.vm, step.name, r.state === 'skipped' ? 'done' : r.state);
              if (r.state === 'skipped') t.skip(`${step.title} [skipped: ${r.reason}]`);
            } catch (err) {
              if (!cfg.opts.dryRun)
                await cfg.ledger
                  .record(rv.node, rv.vm, step.name, err instanceof AbortedError || cfg.signal.aborted ? 'interrupted' : 'failed')
                  .catch(() => undefined);
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

export function outputTails(stdout: string, stderr: string): { stdoutTail?: string; stderrTail?: string } {
  return { stdoutTail: tail(stdout), stderrTail: tail(stderr) };
}
