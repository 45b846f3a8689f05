import { describe, expect, it } from 'vitest';
import { ExitCode } from '../core/errors.js';
import { SIZES } from '../core/sizes.js';
import { STEP_NAMES, type StepName, type StepState } from '../core/steps.js';
import { initialState, mergeSteps, reduce } from './flow.js';
import type { ExistingVm, WizardDefaults } from './services.js';
import type { Effect, FlowContext, NodeProbe, StepOutcome, WizardEvent, WizardState } from './types.js';

const D: WizardDefaults = { mode: 'mastersalt', origin: 'base', image: 'ubuntu', branch: 'stable', size: 'medium', sizes: { ...SIZES } };
const EXISTING: ExistingVm = { node: 'cn1', line: 4, keys: { profile_type: 'dir', from_container: 'other' } };
const CTX: FlowContext = { existing: (n) => (n === 'old.example.com' ? EXISTING : undefined), bootstrap: () => '/srv/boot-salt.sh' };
const OK: NodeProbe = { state: 'ok', lxcVersion: '5.0', stopped: ['base'], volumeGroups: ['vg'], missing: [] };

/** Send events in order; every effect asked for along the way is kept. */
function walk(events: WizardEvent[], from = initialState({ mode: 'mastersalt', advancedOpen: false, noSalt: false }), ctx = CTX) {
  let s: WizardState = from;
  const effects: Effect[] = [];
  for (const e of events) {
    const [next, fx] = reduce(s, e, ctx, () => D);
    s = next;
    effects.push(...fx);
  }
  return { s, effects };
}

const TO_MODE: WizardEvent[] = [
  { type: 'pick-node', node: 'cn1' },
  { type: 'probed', node: 'cn1', probe: OK },
  { type: 'name', name: 'web.example.com' },
  { type: 'backing', backing: 'lvm' },
  { type: 'install', install: 'clone' },
  { type: 'origin', origin: 'base' },
  { type: 'size', size: 'small' },
];
const steps = (states: Partial<Record<StepName, StepState>>): StepOutcome[] =>
  STEP_NAMES.map((name) => ({ name, state: states[name] ?? 'not-run' }));

describe('the wizard flow', () => {
  it('asks node, name, backing, install, origin, size (LVM only), mode, advanced, then reviews', () => {
    const { s, effects } = walk([...TO_MODE, { type: 'mode', mode: 'salt' }, { type: 'advanced', advanced: {} }]);
    expect(s.history).toEqual(['node', 'name', 'backing', 'install', 'origin', 'size', 'mode', 'advanced']);
    expect(s.screen).toBe('review');
    expect(effects).toEqual([{ type: 'probe', node: 'cn1' }, { type: 'preview' }]);
    expect(s.answers).toMatchObject({ node: 'cn1', name: 'web.example.com', backing: 'lvm', size: 'small', mode: 'salt', noSalt: false });
    const dir = walk([...TO_MODE.slice(0, 3), { type: 'backing', backing: 'dir' }, { type: 'install', install: 'create' }]);
    expect(dir.s.screen).toBe('image');
    expect(
      walk([
        ...TO_MODE.slice(0, 3),
        { type: 'backing', backing: 'dir' },
        { type: 'install', install: 'create' },
        { type: 'image', image: 'debian' },
      ]).s.screen,
    ).toBe('mode');
  });

  it('goes back from every question to the one before, keeping every answer; never from the run', () => {
    let { s } = walk([...TO_MODE, { type: 'mode', mode: 'salt' }, { type: 'advanced', advanced: { ip: '10.5.0.9' } }]);
    const seen: string[] = [];
    while (s.history.length) {
      [s] = reduce(s, { type: 'back' }, CTX, () => D);
      seen.push(s.screen);
    }
    expect(seen).toEqual(['advanced', 'mode', 'size', 'origin', 'install', 'backing', 'name', 'node']);
    expect(s.answers).toMatchObject({ name: 'web.example.com', backing: 'lvm', origin: 'base', size: 'small', mode: 'salt' });
    expect(s.answers.advanced).toEqual({ ip: '10.5.0.9' });
    const running = walk([
      ...TO_MODE,
      { type: 'mode', mode: 'salt' },
      { type: 'advanced', advanced: {} },
      { type: 'written', andRun: true, notice: 'w' },
    ]);
    expect(running.s.screen).toBe('run');
    expect(reduce(running.s, { type: 'back' }, CTX, () => D)[0].screen).toBe('run');
  });

  it('an existing name: edit (answers from the entry), re-run (the run, nothing written), or another name', () => {
    const base = [
      { type: 'pick-node', node: 'cn1' },
      { type: 'probed', node: 'cn1', probe: OK },
      { type: 'name', name: 'old.example.com' },
    ] as WizardEvent[];
    expect(walk(base).s.screen).toBe('existing');
    const edit = walk([...base, { type: 'existing', action: 'edit' }]);
    expect(edit.s).toMatchObject({ screen: 'backing', editing: true });
    expect(edit.s.answers).toMatchObject({ backing: 'dir', install: 'clone', origin: 'other', node: 'cn1' });
    const rerun = walk([...base, { type: 'existing', action: 'rerun' }]);
    expect(rerun.s.screen).toBe('run');
    expect(rerun.effects.at(-1)).toEqual({ type: 'run' });
    const other = walk([...base, { type: 'existing', action: 'other' }]);
    expect(other.s.screen).toBe('name');
    expect(other.s.existing).toBeUndefined();
  });

  it("a name the node holds a container of that lxc-wizard did not make: another name, or take it over (the run's --adopt)", () => {
    const base = [
      { type: 'pick-node', node: 'cn1' },
      { type: 'probed', node: 'cn1', probe: { ...OK, foreign: ['hand.example.com'] } },
      { type: 'name', name: 'hand.example.com' },
    ] as WizardEvent[];
    expect(walk(base).s.screen).toBe('foreign');
    const other = walk([...base, { type: 'foreign', action: 'other' }]);
    expect(other.s.screen).toBe('name');
    expect(other.s.answers.adopt).toBeUndefined();
    const adopt = walk([...base, { type: 'foreign', action: 'adopt' }]);
    expect(adopt.s.screen).toBe('backing');
    expect(adopt.s.answers).toMatchObject({ name: 'hand.example.com', adopt: true });
    // another name afterwards adopts nothing
    const renamed = walk([
      ...base,
      { type: 'foreign', action: 'adopt' },
      { type: 'back' },
      { type: 'back' },
      { type: 'name', name: 'new.example.com' },
    ]);
    expect(renamed.s.answers.adopt).toBeUndefined();
    expect(renamed.s.screen).toBe('backing');
  });

  it('offers node setup for a node that is not ready, and continues where the operator was', () => {
    const notReady: NodeProbe = { ...OK, missing: ['bridge lxcbr1 does not exist'] };
    const at = walk([
      { type: 'pick-node', node: 'cn1' },
      { type: 'probed', node: 'cn1', probe: notReady },
      { type: 'name', name: 'w.example.com' },
    ]);
    expect(at.s.screen).toBe('prepare');
    expect(at.s.prepare).toMatchObject({ node: 'cn1', missing: ['bridge lxcbr1 does not exist'], resume: 'backing' });
    // back from the offer: the name question
    expect(reduce(at.s, { type: 'back' }, CTX, () => D)[0].screen).toBe('name');
    // go on anyway: declined for this node, not asked again
    const anyway = walk([{ type: 'prepare', action: 'anyway' }], at.s);
    expect(anyway.s.screen).toBe('backing');
    expect(walk([{ type: 'probed', node: 'cn1', probe: notReady }], anyway.s).s.screen).toBe('backing');
    // another node
    expect(walk([{ type: 'prepare', action: 'other-node' }], at.s).s.screen).toBe('node');
    // prepare: node setup, then the question the operator was going to, the node probed again
    const setup = walk([{ type: 'prepare', action: 'setup' }], at.s);
    expect(setup.s.screen).toBe('setup');
    expect(setup.effects).toEqual([{ type: 'setup', node: 'cn1', origins: [] }]);
    const failed = walk([{ type: 'setup-finished', ok: false, interrupted: false, steps: [], logFile: '/l' }], setup.s);
    expect(failed.s.setup).toMatchObject({ phase: 'failed', logFile: '/l' });
    expect(walk([{ type: 'setup-failure', action: 'retry' }], failed.s).effects).toEqual([{ type: 'setup', node: 'cn1', origins: [] }]);
    expect(walk([{ type: 'setup-failure', action: 'back' }], failed.s).s.screen).toBe('prepare');
    const done = walk([{ type: 'setup-finished', ok: true, interrupted: false, steps: [] }], setup.s);
    expect(done.s.screen).toBe('setup'); // until the node, probed again, says what it has now
    expect(done.effects).toEqual([{ type: 'probe', node: 'cn1' }]);
    expect(walk([{ type: 'probed', node: 'cn1', probe: OK }], done.s).s.screen).toBe('backing');
    const still = walk([{ type: 'probed', node: 'cn1', probe: { ...OK, missing: ['bridge lxcbr1 does not exist'] } }], done.s).s;
    expect(still.screen).toBe('prepare');
  });

  it('a probe that finds the node not ready while a question is open leaves it open, and offers node setup once it is answered', () => {
    const open = walk([
      { type: 'pick-node', node: 'cn1' },
      { type: 'name', name: 'w.example.com' },
    ]);
    expect(open.s.screen).toBe('backing'); // the probe has not answered yet
    const late = walk(
      [{ type: 'probed', node: 'cn1', probe: { ...OK, lxcVersion: undefined, missing: ['LXC is not installed'] } }],
      open.s,
    );
    expect(late.s.screen).toBe('backing'); // what the operator is typing stays on the question it was meant for
    expect(late.s.history).toEqual(open.s.history);
    const answered = walk([{ type: 'backing', backing: 'dir' }], late.s);
    expect(answered.s.screen).toBe('prepare');
    expect(answered.s.prepare).toMatchObject({ resume: 'install', missing: ['LXC is not installed'] });
  });

  it('an origin the node does not have: node setup to make it; going on anyway declines that origin only', () => {
    const at = walk([...TO_MODE.slice(0, 5), { type: 'origin', origin: 'missing-origin' }]);
    expect(at.s.prepare).toMatchObject({
      missing: ['no stopped container missing-origin on cn1'],
      origins: ['missing-origin'],
      resume: 'size',
    });
    const anyway = walk([{ type: 'prepare', action: 'anyway' }], at.s);
    expect(anyway.s.screen).toBe('size');
    expect(anyway.s.declined).toEqual(['cn1:missing-origin']);
  });

  it('"no salt" on the mode screen makes a run without salt; a mode picked again takes it back', () => {
    const none = walk([...TO_MODE, { type: 'mode', mode: 'none' }]);
    expect(none.s.answers).toMatchObject({ noSalt: true, mode: 'mastersalt' });
    const [back] = reduce(none.s, { type: 'back' }, CTX, () => D);
    expect(reduce(back, { type: 'mode', mode: 'salt' }, CTX, () => D)[0].answers).toMatchObject({ noSalt: false, mode: 'salt' });
  });

  it('refuses advanced values that validation would refuse later, saying which', () => {
    const { s } = walk([...TO_MODE, { type: 'mode', mode: 'salt' }, { type: 'advanced', advanced: { branch: 'a..b' } }]);
    expect(s.screen).toBe('advanced');
    expect(s.error?.message).toMatch(/^the branch a\.\.b /);
  });

  it('review → write → run; a failure offers retry (from the step), skip (recorded, then the next step) and abort', () => {
    const review = walk([...TO_MODE, { type: 'mode', mode: 'salt' }, { type: 'advanced', advanced: {} }]).s;
    expect(reduce(review, { type: 'review', action: 'cancel' }, CTX, () => D)[0].exit).toBe(ExitCode.INTERRUPTED);
    expect(reduce(review, { type: 'review', action: 'write' }, CTX, () => D)[1]).toEqual([{ type: 'write', andRun: false }]);
    const writeOnly = reduce(review, { type: 'written', andRun: false, notice: 'wrote it' }, CTX, () => D)[0];
    expect(writeOnly).toMatchObject({ exit: ExitCode.OK, notice: 'wrote it' });
    const run = walk(
      [
        { type: 'review', action: 'run' },
        { type: 'written', andRun: true, notice: 'w' },
      ],
      review,
    );
    expect(run.effects).toEqual([{ type: 'write', andRun: true }, { type: 'run' }]);
    const failedSteps = steps({
      preflight: 'done',
      spawn: 'done',
      reverse_proxy: 'done',
      hostsfile: 'done',
      sshkeys: 'done',
      grains: 'failed',
    });
    const failed = walk([{ type: 'run-finished', ok: false, interrupted: false, steps: failedSteps, logFile: '/log' }], run.s).s;
    expect(failed.run).toMatchObject({ phase: 'failed', logFile: '/log' });

    const retry = walk([{ type: 'failure', action: 'retry' }], failed);
    expect(retry.effects).toEqual([{ type: 'run', from: 'grains' }]);
    const skip = walk([{ type: 'failure', action: 'skip' }], failed);
    expect(skip.effects).toEqual([{ type: 'run', from: 'initial_setup' }]);
    expect(skip.s.run!.steps.find((x) => x.name === 'grains')).toEqual({ name: 'grains', state: 'skipped', reason: 'skipped by you' });
    // the next attempt reports the earlier steps not run: they stay what they were
    const later = steps({ preflight: 'done', initial_setup: 'done', initial_highstate: 'done', ping: 'done', reachable: 'done' });
    const result = walk([{ type: 'run-finished', ok: true, interrupted: false, steps: later }], skip.s).s;
    expect(result.screen).toBe('result');
    expect(result.run!.steps.map((x) => x.state)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
      'skipped',
      'done',
      'done',
      'done',
      'done',
    ]);
    expect(walk([{ type: 'failure', action: 'abort' }], failed).s.exit).toBe(ExitCode.FAILURE);

    // a failed last step skipped: straight to the result; a failed preflight cannot be skipped
    const lastFailed = walk([{ type: 'run-finished', ok: false, interrupted: false, steps: steps({ reachable: 'failed' }) }], run.s).s;
    expect(walk([{ type: 'failure', action: 'skip' }], lastFailed).s.screen).toBe('result');
    const preflight = walk([{ type: 'run-finished', ok: false, interrupted: false, steps: steps({ preflight: 'failed' }) }], run.s).s;
    expect(walk([{ type: 'failure', action: 'skip' }], preflight).effects).toEqual([]);
    expect(walk([{ type: 'failure', action: 'retry' }], preflight).effects).toEqual([{ type: 'run' }]);
  });

  it('Ctrl-C: quits before the run; during it asks, then aborts; after a failure ends with status 1', () => {
    expect(walk([{ type: 'interrupt' }]).s.exit).toBe(ExitCode.INTERRUPTED);
    const review = walk([...TO_MODE, { type: 'mode', mode: 'salt' }, { type: 'advanced', advanced: {} }]).s;
    const running = walk([{ type: 'written', andRun: true, notice: '' }], review).s;
    const asked = walk([{ type: 'interrupt' }], running);
    expect(asked.s.run!.confirmAbort).toBe(true);
    expect(asked.effects).toEqual([]);
    expect(walk([{ type: 'dismiss' }], asked.s).s.run!.confirmAbort).toBe(false);
    expect(walk([{ type: 'interrupt' }], asked.s).effects).toEqual([{ type: 'abort' }]);
    const stopped = walk([{ type: 'run-finished', ok: false, interrupted: true, steps: steps({ spawn: 'interrupted' }) }], asked.s).s;
    expect(stopped.exit).toBe(ExitCode.INTERRUPTED);
    const failed = walk([{ type: 'run-finished', ok: false, interrupted: false, steps: steps({ spawn: 'failed' }) }], running).s;
    expect(walk([{ type: 'interrupt' }], failed).s.exit).toBe(ExitCode.FAILURE);
  });
});

describe('mergeSteps', () => {
  it('keeps what the steps before a retry settled as; preflight and the later steps are the new attempt', () => {
    const before = steps({ preflight: 'done', spawn: 'done', reverse_proxy: 'already-done', hostsfile: 'failed' });
    const next = steps({ preflight: 'done', hostsfile: 'done', sshkeys: 'failed' });
    expect(mergeSteps(before, next, 'hostsfile').map((s) => s.state)).toEqual([
      'done',
      'done',
      'already-done',
      'done',
      'failed',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
      'not-run',
    ]);
  });
});
