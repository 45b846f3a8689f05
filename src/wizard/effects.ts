import { entryOf } from '../core/entry.js';
import { describeError } from '../core/errors.js';
import type { RunEvent } from '../core/run-events.js';
import type { StepName } from '../core/steps.js';
import { choicesOf } from './answers.js';
import { equivalentCommands } from './commands.js';
import type { WizardServices } from './services.js';
import type { Effect, StepOutcome, WizardEvent, WizardState } from './types.js';

export interface EffectIo {
  dispatch(e: WizardEvent): void;
  /** every event of a run or node setup, for the live view */
  onRunEvent(e: RunEvent): void;
  /** a run or node setup starts (from a step, for a retry or a skip): the live view resets what it will redo */
  onRunStart?(kind: 'run' | 'setup', from?: StepName, settled?: StepOutcome[]): void;
}

/** The entry the answers make, as the review shows it and the write writes it. */
export function entryFor(s: WizardState, services: Pick<WizardServices, 'defaults'>): Record<string, unknown> {
  return entryOf(choicesOf(s.answers, services.defaults, s.editing ? s.existing?.vm.keys : undefined));
}

/**
 * Does what the flow's effects ask, over the services, and answers with events. Both front ends
 * use this one runner: what Ink does, --plain does.
 */
export function effectRunner(services: WizardServices, io: EffectIo): (effect: Effect, s: WizardState) => Promise<void> {
  let abort: AbortController | undefined;
  const fail = (err: unknown) => io.dispatch({ type: 'failed', error: describeError(err) });
  return async (effect, s) => {
    const a = s.answers;
    try {
      switch (effect.type) {
        case 'probe': {
          const probe = await services.probe(effect.node).catch((err: unknown) => {
            const r = describeError(err);
            return {
              state: 'error' as const,
              error: r.message,
              ...(r.hint ? { hint: r.hint } : {}),
              stopped: [],
              volumeGroups: [],
              missing: [],
            };
          });
          return io.dispatch({ type: 'probed', node: effect.node, probe });
        }
        case 'preview':
          return io.dispatch({ type: 'previewed', preview: services.preview(a.node!, a.name!, entryFor(s, services)) });
        case 'write': {
          await services.write(a.node!, a.name!, entryFor(s, services), { update: s.editing });
          const later = equivalentCommands(s, services).at(-1)!.line;
          return io.dispatch({
            type: 'written',
            andRun: effect.andRun,
            notice: `wrote ${a.name} to ${services.pillarPath}${effect.andRun ? '' : `; provision it later with: ${later}`}`,
          });
        }
        case 'run': {
          abort = new AbortController();
          io.onRunStart?.('run', effect.from, s.run?.steps);
          const r = await services.run(a.node!, a.name!, io.onRunEvent, abort.signal, {
            ...(effect.from ? { from: effect.from } : {}),
            noSalt: a.noSalt,
            ...(a.adopt ? { adopt: true } : {}),
          });
          return io.dispatch({ type: 'run-finished', ok: r.ok, interrupted: r.interrupted, steps: r.steps, logFile: r.logFile });
        }
        case 'setup': {
          abort = new AbortController();
          io.onRunStart?.('setup');
          const r = await services.setupNode(effect.node, effect.origins, io.onRunEvent, abort.signal);
          return io.dispatch({ type: 'setup-finished', ok: r.ok, interrupted: r.interrupted, steps: r.steps, logFile: r.logFile });
        }
        case 'remember-advanced':
          return services.rememberAdvanced(effect.open);
        case 'abort':
          return abort?.abort();
      }
    } catch (err) {
      fail(err);
    }
  };
}
