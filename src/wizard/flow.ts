import { ExitCode } from '../core/errors.js';
import { PROFILE_TYPES, profileTypeFor } from '../core/profile-types.js';
import { SEED_STEPS, STEP_NAMES, type StepName } from '../core/steps.js';
import { answersFromEntry } from './answers.js';
import { advancedProblem } from './choices.js';
import type { WizardDefaults } from './services.js';
import type { Answers, Effect, FlowContext, ScreenId, StepOutcome, WizardEvent, WizardState } from './types.js';

/**
 * The wizard's whole flow as a reducer: (state, event) → (state, effects). Which screen follows
 * which, when a node that is not ready is offered node setup, what retry and skip mean, when the
 * wizard ends and with which exit status. No React, no I/O: Ink and --plain render states and send
 * events, the effect runner (effects.ts) does what the effects ask and answers with events.
 */
export function initialState(o: { mode: Answers['mode']; advancedOpen: boolean; noSalt: boolean }): WizardState {
  return {
    screen: 'node',
    history: [],
    answers: { mode: o.mode, noSalt: o.noSalt, advancedOpen: o.advancedOpen, advanced: {} },
    probes: {},
    declined: [],
    editing: false,
  };
}

/** Screens where a probe that finds the node not ready offers node setup at once. */
const QUESTIONS: ReadonlySet<ScreenId> = new Set(['backing', 'install', 'origin', 'image', 'size', 'mode', 'advanced']);
/** Screens nothing goes back from: the run has started, or ended. */
const NO_BACK: ReadonlySet<ScreenId> = new Set(['setup', 'run', 'result']);

function isLvm(a: Answers): boolean {
  return !!a.backing && !!a.install && PROFILE_TYPES[profileTypeFor(a.backing, a.install)].sized;
}

/** The question after `screen`: size for LVM types only, origin or image by install mode. */
export function nextScreen(screen: ScreenId, a: Answers): ScreenId {
  switch (screen) {
    case 'node':
      return 'name';
    case 'name':
    case 'existing':
    case 'foreign':
      return 'backing';
    case 'backing':
      return 'install';
    case 'install':
      return a.install === 'create' ? 'image' : 'origin';
    case 'origin':
    case 'image':
      return isLvm(a) ? 'size' : 'mode';
    case 'size':
      return 'mode';
    case 'mode':
      return 'advanced';
    default:
      return 'review';
  }
}

type Out = [WizardState, Effect[]];

/** To `screen`, the current one kept for back. Errors and notices belong to the screen they were shown on. */
function go(s: WizardState, screen: ScreenId, patch: Partial<WizardState> = {}): WizardState {
  const { error: _e, notice: _n, ...rest } = s;
  return { ...rest, ...patch, screen, history: [...s.history, s.screen] };
}

function clean(s: WizardState): WizardState {
  const { error: _e, notice: _n, ...rest } = s;
  return rest;
}

/** The node lacks what node setup makes, and the operator has not chosen to go on without it. */
function missingOnNode(s: WizardState, node: string): string[] {
  const p = s.probes[node];
  return p?.state === 'ok' && p.missing.length && !s.declined.includes(node) ? p.missing : [];
}

/**
 * Offer node setup before `resume`: from a transition (the current screen kept for back) or
 * interrupting it. `decline` is what "go on anyway" declines: the node, or one origin on it.
 */
function toPrepare(s: WizardState, node: string, missing: string[], resume: ScreenId, origins: string[], decline = node): WizardState {
  const prepare = { node, missing, resume, origins, decline };
  return resume === s.screen ? { ...clean(s), screen: 'prepare', prepare } : go(s, 'prepare', { prepare });
}

/** Forward to the next question, by way of node setup when the node is not ready. */
function forward(s: WizardState, answers: Answers): WizardState {
  const next = nextScreen(s.screen, answers);
  const withAnswers = { ...s, answers };
  const node = answers.node!;
  const missing = QUESTIONS.has(next) ? missingOnNode(withAnswers, node) : [];
  if (missing.length) return toPrepare(withAnswers, node, missing, next, cloneOrigins(answers));
  return go(withAnswers, next);
}

function cloneOrigins(a: Answers): string[] {
  return a.install === 'clone' && a.origin ? [a.origin] : [];
}

function freshRun(from?: StepName, previous?: StepOutcome[]): WizardState['run'] {
  return {
    phase: 'running',
    ...(from ? { from } : {}),
    steps: previous ?? STEP_NAMES.map((name) => ({ name, state: 'not-run' as const })),
    confirmAbort: false,
  };
}

/**
 * A later attempt's steps over the earlier ones: steps before the attempt's start keep what they
 * were (finished stays finished after a retry or a skip); preflight runs every time.
 */
export function mergeSteps(previous: StepOutcome[], next: StepOutcome[], from?: StepName): StepOutcome[] {
  const start = from ? STEP_NAMES.indexOf(from) : 0;
  return previous.map((p) => {
    const i = STEP_NAMES.indexOf(p.name as StepName);
    const n = next.find((x) => x.name === p.name);
    if (!n || (i > 0 && i < start)) return p;
    return n;
  });
}

const SKIPPED_BY_YOU = 'skipped by you';

/**
 * The next state and the effects an event asks for. `defaults` is asked only by an event that
 * needs the pillar's defaults (quitting passes before the pillar is read, when they are not known).
 */
export function reduce(s: WizardState, e: WizardEvent, ctx: FlowContext, defaults: () => WizardDefaults): Out {
  const a = s.answers;
  switch (e.type) {
    case 'pick-node': {
      const probes = s.probes[e.node]?.state === 'ok' ? s.probes : { ...s.probes, [e.node]: probing() };
      const effects: Effect[] = s.probes[e.node]?.state === 'ok' ? [] : [{ type: 'probe', node: e.node }];
      return [go({ ...s, probes }, 'name', { answers: { ...a, node: e.node } }), effects];
    }
    case 'probed': {
      const next = { ...s, probes: { ...s.probes, [e.node]: e.probe } };
      if (s.screen === 'setup' && s.setup?.phase === 'done' && s.setup.node === e.node) {
        const p = s.prepare!;
        const still = e.probe.state === 'ok' ? e.probe.missing : [];
        if (still.length) return [{ ...next, screen: 'prepare', prepare: { ...p, missing: still } }, []];
        const { prepare: _p, ...rest } = next;
        return [{ ...rest, screen: p.resume }, []];
      }
      // A late probe never takes over the open question: keys typed for it would land on the offer,
      // and an Enter meant for a list would start node setup. The offer comes when it is answered.
      return [next, []];
    }
    case 'name': {
      const found = ctx.existing(e.name);
      if (found) return [go(s, 'existing', { existing: { name: e.name, vm: found }, answers: { ...a, name: e.name } }), []];
      const { existing: _x, ...rest } = s;
      const { adopt: _a, ...answers } = a;
      // the node holds a container of that name the tool did not make: never taken over silently
      if (s.probes[a.node!]?.foreign?.includes(e.name))
        return [go({ ...rest, editing: false }, 'foreign', { answers: { ...answers, name: e.name } }), []];
      return [forward({ ...rest, editing: false }, { ...answers, name: e.name }), []];
    }
    case 'foreign': {
      if (e.action === 'other') return [back(s), []];
      return [forward(s, { ...a, adopt: true }), []];
    }
    case 'existing': {
      const ex = s.existing!;
      if (e.action === 'other') {
        const { existing: _x, ...rest } = back(s);
        return [rest, []];
      }
      const answers = answersFromEntry(ex.vm.node, ex.name, ex.vm.keys, a, defaults());
      const probes = s.probes[ex.vm.node] ? s.probes : { ...s.probes, [ex.vm.node]: probing() };
      const probe: Effect[] = s.probes[ex.vm.node] ? [] : [{ type: 'probe', node: ex.vm.node }];
      if (e.action === 'edit') return [forward({ ...s, probes, editing: true }, answers), probe];
      return [go({ ...s, probes, answers }, 'run', { run: freshRun() }), [...probe, { type: 'run' }]];
    }
    case 'prepare': {
      const p = s.prepare!;
      if (e.action === 'other-node') return [{ ...clean(s), screen: 'node', history: [] }, []];
      if (e.action === 'anyway') return [{ ...clean(s), screen: p.resume, declined: [...s.declined, p.decline] }, []];
      return [
        { ...clean(s), screen: 'setup', setup: { node: p.node, phase: 'running', origins: p.origins, steps: [], confirmAbort: false } },
        [{ type: 'setup', node: p.node, origins: p.origins }],
      ];
    }
    case 'setup-finished': {
      const setup = { ...s.setup!, steps: e.steps, confirmAbort: false, ...(e.logFile ? { logFile: e.logFile } : {}) };
      if (e.interrupted) return [{ ...s, setup: { ...setup, phase: 'failed' }, exit: ExitCode.INTERRUPTED }, []];
      if (!e.ok) return [{ ...s, setup: { ...setup, phase: 'failed' } }, []];
      // the node is probed again; the flow goes on when the probe answers (with what the node has now)
      const node = setup.node;
      return [{ ...s, setup: { ...setup, phase: 'done' }, probes: { ...s.probes, [node]: probing() } }, [{ type: 'probe', node }]];
    }
    case 'setup-failure': {
      const setup = s.setup!;
      if (e.action === 'back') return [{ ...clean(s), screen: 'prepare' }, []];
      return [
        { ...clean(s), setup: { ...setup, phase: 'running', steps: [], confirmAbort: false } },
        [{ type: 'setup', node: setup.node, origins: setup.origins }],
      ];
    }
    case 'backing':
      return [forward(s, { ...a, backing: e.backing }), []];
    case 'install':
      return [forward(s, { ...a, install: e.install }), []];
    case 'origin': {
      const answers = { ...a, origin: e.origin };
      const p = s.probes[a.node!];
      const key = `${a.node}:${e.origin}`;
      if (p?.state === 'ok' && p.lxcVersion && !p.stopped.includes(e.origin) && !s.declined.includes(key)) {
        const missing = [`no stopped container ${e.origin} on ${a.node}`];
        return [toPrepare({ ...s, answers }, a.node!, missing, nextScreen('origin', answers), [e.origin], key), []];
      }
      return [forward(s, answers), []];
    }
    case 'image':
      return [forward(s, { ...a, image: e.image }), []];
    case 'size':
      return [forward(s, { ...a, size: e.size }), []];
    case 'mode':
      return [forward(s, e.mode === 'none' ? { ...a, noSalt: true } : { ...a, mode: e.mode, noSalt: false }), []];
    case 'toggle-advanced':
      return [{ ...s, answers: { ...a, advancedOpen: e.open } }, [{ type: 'remember-advanced', open: e.open }]];
    case 'advanced': {
      const problem = advancedProblem(e.advanced);
      if (problem) return [{ ...s, error: { kind: 'user', message: problem, exitCode: ExitCode.USAGE } }, []];
      const { preview: _p, ...rest } = s;
      return [go(rest, 'review', { answers: { ...a, advanced: e.advanced } }), [{ type: 'preview' }]];
    }
    case 'previewed':
      return [{ ...s, preview: e.preview }, []];
    case 'review':
      if (e.action === 'cancel') return [{ ...s, exit: ExitCode.INTERRUPTED }, []];
      return [clean(s), [{ type: 'write', andRun: e.action === 'run' }]];
    case 'written':
      if (!e.andRun) return [{ ...s, notice: e.notice, exit: ExitCode.OK }, []];
      return [go(s, 'run', { run: freshRun(), notice: e.notice }), [{ type: 'run' }]];
    case 'failed':
      if (s.screen === 'run' && s.run) return [{ ...s, error: e.error, run: { ...s.run, phase: 'failed' } }, []];
      if (s.screen === 'setup' && s.setup) return [{ ...s, error: e.error, setup: { ...s.setup, phase: 'failed' } }, []];
      return [{ ...s, error: e.error }, []];
    case 'run-finished': {
      const run = s.run!;
      const steps = mergeSteps(run.steps, e.steps, run.from);
      const patch = { steps, confirmAbort: false, ...(e.logFile ? { logFile: e.logFile } : {}) };
      if (e.interrupted) return [{ ...s, run: { ...run, ...patch, phase: 'interrupted' }, exit: ExitCode.INTERRUPTED }, []];
      if (!e.ok) return [{ ...s, run: { ...run, ...patch, phase: 'failed' } }, []];
      return [go(s, 'result', { run: { ...run, ...patch, phase: 'finished' } }), []];
    }
    case 'failure': {
      const run = s.run!;
      if (e.action === 'abort') return [{ ...s, exit: ExitCode.FAILURE }, []];
      const failed = run.steps.find((x) => x.state === 'failed' || x.state === 'interrupted');
      if (!failed) return [s, []];
      if (e.action === 'retry') {
        const from = failed.name === 'preflight' ? undefined : (failed.name as StepName);
        return [
          { ...clean(s), run: { ...freshRun(from, run.steps)!, ...(run.logFile ? { logFile: run.logFile } : {}) } },
          [{ type: 'run', ...(from ? { from } : {}) }],
        ];
      }
      // skip: the failed step is recorded as skipped by the operator, and the run goes on after it
      const steps = run.steps.map((x) => (x === failed ? { name: x.name, state: 'skipped' as const, reason: SKIPPED_BY_YOU } : x));
      const next = SEED_STEPS[SEED_STEPS.indexOf(failed.name as StepName) + 1];
      if (failed.name === 'preflight' || !next) {
        if (failed.name === 'preflight') return [s, []]; // nothing can run without preflight: retry or abort
        return [go(clean(s), 'result', { run: { ...run, steps, phase: 'finished' } }), []];
      }
      return [
        { ...clean(s), run: { ...freshRun(next, steps)!, ...(run.logFile ? { logFile: run.logFile } : {}) } },
        [{ type: 'run', from: next }],
      ];
    }
    case 'interrupt': {
      // Ctrl-C while something runs on a node: the first asks, the second aborts it.
      const live = s.screen === 'run' ? s.run : s.screen === 'setup' ? s.setup : undefined;
      if (live?.phase === 'running') {
        if (live.confirmAbort) return [s, [{ type: 'abort' }]];
        return [
          s.screen === 'run' ? { ...s, run: { ...s.run!, confirmAbort: true } } : { ...s, setup: { ...s.setup!, confirmAbort: true } },
          [],
        ];
      }
      // a failed run stays recorded: the entry is written, a re-run resumes
      if (s.screen === 'run' || s.screen === 'setup') return [{ ...s, exit: ExitCode.FAILURE }, []];
      return [{ ...s, exit: ExitCode.INTERRUPTED }, []];
    }
    case 'dismiss': {
      if (s.run?.confirmAbort) return [{ ...s, run: { ...s.run, confirmAbort: false } }, []];
      if (s.setup?.confirmAbort) return [{ ...s, setup: { ...s.setup, confirmAbort: false } }, []];
      return [s.error ? clean(s) : s, []];
    }
    case 'back':
      return [back(s), []];
    case 'finish':
      return [{ ...s, exit: ExitCode.OK }, []];
  }
}

/** Back one screen, every answer kept. Not once a run has started. */
export function back(s: WizardState): WizardState {
  if (NO_BACK.has(s.screen) || s.history.length === 0) return s;
  const screen = s.history[s.history.length - 1]!;
  const rest = clean(s);
  return { ...rest, screen, history: s.history.slice(0, -1), ...(screen === 'name' || screen === 'node' ? { editing: false } : {}) };
}

function probing(): WizardState['probes'][string] {
  return { state: 'probing', stopped: [], volumeGroups: [], missing: [] };
}
