import { describe, expect, it } from 'vitest';
import { ExitCode } from '../core/errors.js';
import { fakeServices, unreadServices } from '../../test/helpers/wizard-services.js';
import { WizardMachine } from './machine.js';
import type { WizardEvent } from './types.js';

/** A promise settled by the test: the services' parse finishing (or failing) when the test says. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('WizardMachine before its services are ready (first screen drawn from the kept summary)', () => {
  it('holds every event until ready, then replays them in order; nothing reads the pillar before', async () => {
    const d = deferred();
    const services = fakeServices();
    let asked = 0;
    const existing = services.existing;
    services.existing = (n) => (asked++, existing(n));
    let started = 0;
    services.ready = () => (started++, d.promise);
    const seen: WizardEvent[] = [];
    const m = new WizardMachine(services, { advancedOpen: false, tap: (e) => seen.push(e) });
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    m.send({ type: 'name', name: 'gfoobar.test.com' });
    await new Promise((r) => setTimeout(r, 20));
    expect(m.get().screen).toBe('node');
    expect(seen).toEqual([]);
    expect(asked).toBe(0);
    m.start();
    expect(started).toBe(1);
    d.resolve();
    await m.idle();
    expect(seen.filter((e) => e.type !== 'probed').map((e) => e.type)).toEqual(['pick-node', 'name']);
    expect(asked).toBe(1);
    // the name is an existing VM: the flow asked what to do with it, as it does without a summary
    expect(m.get().screen).toBe('existing');
    // ready, the machine passes events straight through
    m.send({ type: 'back' });
    expect(seen.at(-1)).toEqual({ type: 'back' });
  });

  it('lets quitting through at once, and the held events are never replayed', async () => {
    const d = deferred();
    const services = fakeServices();
    services.ready = () => d.promise;
    const m = new WizardMachine(services, { advancedOpen: false });
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    m.send({ type: 'finish' });
    expect(m.get().exit).toBe(ExitCode.OK);
    d.resolve();
    await m.idle();
    // the first state is not made again over the exit
    expect(m.get().exit).toBe(ExitCode.OK);
    expect(m.get().screen).toBe('node');
    expect(m.get().answers.node).toBeUndefined();
  });

  it('ends the wizard when the services cannot be made ready (the command reports why)', async () => {
    const d = deferred();
    const services = fakeServices();
    services.ready = () => d.promise;
    const m = new WizardMachine(services, { advancedOpen: false });
    let told = 0;
    m.subscribe(() => told++);
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    d.reject(new Error('the pillar changed meaning'));
    await m.idle();
    expect(m.get().exit).toBe(ExitCode.FAILURE);
    expect(m.get().answers.node).toBeUndefined();
    expect(told).toBeGreaterThan(0);
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    expect(m.get().answers.node).toBeUndefined();
  });

  it('asks the services once however often it is started', async () => {
    const services = fakeServices();
    let started = 0;
    services.ready = async () => void started++;
    const m = new WizardMachine(services, { advancedOpen: false });
    m.start();
    m.start();
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    await m.idle();
    m.start();
    expect(started).toBe(1);
    expect(m.get().screen).toBe('name');
  });

  it('drawn before the pillar is read (no nodes yet): reads no default before, then starts with the pillar defaults', async () => {
    const d = deferred();
    const services = unreadServices(d.promise);
    let told = 0;
    const m = new WizardMachine(services, { advancedOpen: false });
    m.subscribe(() => told++);
    expect(m.get().screen).toBe('node');
    m.send({ type: 'pick-node', node: 'devhost10.local' });
    m.start();
    d.resolve();
    await m.idle();
    // the pillar's default mode (mastersalt), not the stand-in the first frame was drawn with
    expect(m.get().answers.mode).toBe('mastersalt');
    expect(m.get().answers.node).toBe('devhost10.local');
    expect(m.get().screen).toBe('name');
    expect(told).toBeGreaterThan(1);
  });

  it('drawn before the pillar is read: Ctrl-C ends the wizard at once, reading no default', async () => {
    const d = deferred();
    const m = new WizardMachine(unreadServices(d.promise), { advancedOpen: false });
    m.start();
    m.send({ type: 'interrupt' });
    expect(m.get().exit).toBe(ExitCode.INTERRUPTED);
    d.resolve();
    await m.idle();
    expect(m.get().exit).toBe(ExitCode.INTERRUPTED);
  });
});
