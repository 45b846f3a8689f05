import { Listr, type ListrTask } from 'listr2';
import { InterruptedError, UserError } from '../core/errors.js';
import type { ResolvedVm } from '../core/resolved-vm.js';
import type { RunEvent, RunListener } from '../core/run-events.js';
import { NODE_SETUP, selectStepNames, stepPhases, type StepName, type StepState } from '../core/steps.js';
import { readNodeState, NODE_SETUP_TASKS, type NodeSetupSpec, type NodeState, type NodeTaskContext } from './node-setup.js';
import { commandScope, type NodeSession } from './node-session.js';
import { StepError, StepSkipped, type RunOptions, type Step, type StepContext, type Task, type TaskContextBase } from './steps/step.js';
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
  /** run only these of the steps (preflight always runs) */
  only?: StepName[];
  /** start at this step; earlier steps are not run */
  from?: StepName;
  /** VMs at once per compute node */
  concurrency: number;
  ledger: Ledger;
  listeners: RunListener[];
  signal: AbortSignal;
  /** node setup to run on these nodes before their VMs (node setup alone: no VMs) */
  setup?: Map<string, NodeSetupSpec>;
}

export function selectedSteps(only?: StepName[], from?: StepName): Step[] {
  const names = selectStepNames(only, from);
  return STEPS.filter((s) => names.includes(s.name));
}

/**
 * check → apply → verify, reported as events: a task whose check finds its result in place is
 * `already-done`, one whose check gives a reason is `skipped` with it, otherwise it runs (`done`).
 */
export async function runTask<C extends TaskContextBase>(
  task: Task<C>,
  ctx: C,
  emit: (e: RunEvent) => void,
): Promise<{ state: StepState; reason?: string }> {
  const started = Date.now();
  const report = (state: StepState, extra: { reason?: string; error?: string; hint?: string } = {}) =>
    emit({
      type: 'step',
      node: ctx.node,
      vm: ctx.vm,
      step: task.name,
      state,
      ...extra,
      ...(state === 'running' ? {} : { durationMs: Date.now() - started }),
    });
  report('running');
  try {
    if (ctx.signal.aborted) throw new InterruptedError();
    const done = await task.check(ctx);
    if (done === true) {
      report('already-done');
      return { state: 'already-done' };
    }
    if (typeof done === 'string') {
      report('skipped', { reason: done });
      return { state: 'skipped', reason: done };
    }
    try {
      await task.apply(ctx);
    } catch (err) {
      if (!(err instanceof StepSkipped)) throw err;
      report('skipped', { reason: err.message });
      return { state: 'skipped', reason: err.message };
    }
    if (!ctx.dryRun) {
      if (task.verify) await task.verify(ctx);
      else if (task.name !== 'preflight' && (await task.check(ctx)) === false) {
        throw new StepError(`${task.name} ran but its result is not in place`, 'the log file shows each command and its output');
      }
    }
    report('done', ctx.dryRun ? { reason: 'dry run' } : {});
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
 * Per compute node: its setup first (when asked), then its VMs, at most `concurrency` at once,
 * each VM's steps in order, those of AT_ONCE together (the first failure stops that VM). Nodes
 * run side by side and are independent: one node's failure never stops another's.
 */
export async function runProvision(cfg: RunConfig): Promise<void> {
  const emit = (e: RunEvent) => cfg.listeners.forEach((l) => l(e));
  const steps = selectedSteps(cfg.only, cfg.from);
  const byNode = new Map<string, ResolvedVm[]>();
  for (const node of cfg.setup?.keys() ?? []) byNode.set(node, []);
  for (const v of cfg.vms) (byNode.get(v.node) ?? byNode.set(v.node, []).get(v.node)!).push(v);

  const vmTask = (v: ResolvedVm): ListrTask => ({
    task: async (_ctx, t) => {
      const ledger = await cfg.ledger.get(v.node, v.name);
      // A finished step's record is written while the next step runs (each write is a locked,
      // fsynced file: about 10 ms), in order; the VM ends only once every record is on disk, and a
      // record that could not be written fails the VM at its next step.
      let records = Promise.resolve();
      let recordError: unknown;
      const record = (step: StepName, state: StepState) => (records = records.then(() => cfg.ledger.record(v.node, v.name, step, state)));
      const recordFailed = (step: StepName, err: unknown) => {
        const e = new StepError(
          `the results of ${v.name}'s steps could not be recorded: ${(err as Error).message}`,
          "free space or fix the state directory's permissions, then run the same command again: steps in place are found so",
        );
        emit({ type: 'step', node: v.node, vm: v.name, step, state: 'failed', error: e.message, hint: e.hint, durationMs: 0 });
        return e;
      };
      const runStep = async (step: Step) => {
        if (recordError) throw recordFailed(step.name, recordError);
        const ctx: StepContext = {
          node: v.node,
          vm: v.name,
          v,
          session: cfg.session(v.node),
          opts: cfg.opts,
          signal: cfg.signal,
          dryRun: cfg.opts.dryRun,
          spawnedBefore: ledger.spawn?.state === 'done',
          steps: steps.map((s) => s.name),
          progress: (line) => emit({ type: 'progress', node: v.node, vm: v.name, step: step.name, line }),
        };
        try {
          const r = await commandScope.run({ vm: v.name, step: step.name }, () => runTask(step, ctx, emit));
          if (!cfg.opts.dryRun) record(step.name, ledgerState(r.state)).catch((e: unknown) => (recordError ??= e));
        } catch (err) {
          if (!cfg.opts.dryRun) {
            const state = err instanceof InterruptedError || cfg.signal.aborted ? 'interrupted' : 'failed';
            await record(step.name, state).catch(() => undefined);
          }
          throw err;
        }
      };
      // A dry run goes one step after another: its plan lists each step's commands in order.
      const phases = cfg.opts.dryRun ? steps.map((s) => [s]) : stepPhases(steps);
      return t.newListr(
        phases.map((phase, i) => ({
          task: async () => {
            // the transport readies channels for the next phase's steps while this one runs
            const transport = cfg.session(v.node).transport;
            transport.expect?.(v.name, phases[i + 1]?.length ?? 0);
            // steps of a phase run at once; each finishes (and is recorded) even when another
            // fails, and the VM stops after the phase at its first failure
            const settled = await Promise.allSettled(phase.map(runStep));
            const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            if (failed) {
              transport.expect?.(v.name, 0);
              throw failed.reason;
            }
            if (!cfg.opts.dryRun && i === phases.length - 1)
              await records.catch((e: unknown) => {
                throw recordFailed(phase.at(-1)!.name, e);
              });
          },
        })),
        { concurrent: false, exitOnError: true },
      );
    },
  });

  const setupTask = (node: string, spec: NodeSetupSpec): ListrTask => ({
    task: async (_ctx, t) => {
      const session = cfg.session(node);
      let state: Promise<NodeState> | undefined;
      const ctx: NodeTaskContext = {
        node,
        vm: NODE_SETUP,
        session,
        spec,
        signal: cfg.signal,
        dryRun: cfg.opts.dryRun,
        progress: () => undefined,
        state: () => (state ??= readNodeState(session, spec)),
        changed: () => {
          // a dry run changed nothing: the state read stays the truth
          if (!cfg.opts.dryRun) state = undefined;
        },
      };
      return t.newListr(
        NODE_SETUP_TASKS.map((task) => ({
          task: async () => {
            const c = { ...ctx, progress: (line: string) => emit({ type: 'progress', node, vm: NODE_SETUP, step: task.name, line }) };
            await commandScope.run({ vm: NODE_SETUP, step: task.name }, () => runTask(task, c, emit));
          },
        })),
        { concurrent: false, exitOnError: true },
      );
    },
  });

  const list = new Listr(
    [...byNode].map(([node, vms]) => ({
      task: (_c: unknown, t: { newListr: (tasks: ListrTask[], o: object) => unknown }) => {
        const spec = cfg.setup?.get(node);
        const vmGroup: ListrTask = { task: (_cc, tt) => tt.newListr(vms.map(vmTask), { concurrent: cfg.concurrency, exitOnError: false }) };
        // the node's setup must succeed before its VMs start: they need what it makes
        return t.newListr(spec ? [setupTask(node, spec), vmGroup] : [vmGroup], { concurrent: false, exitOnError: true });
      },
    })) as ListrTask[],
    // listr2 schedules (nodes side by side, VMs `concurrency` at once, a VM's steps in order, the
    // first failure stopping only its own group); run events are what every view draws.
    { concurrent: true, exitOnError: false, registerSignalListeners: false, renderer: 'silent', collectErrors: false } as never,
  );
  await list.run();
}
