import { describe, expect, it } from 'vitest';
import type { Question } from '../process/prompts.js';
import type { WizardEvent } from '../wizard/types.js';
import { KEY, press, renderApp, settle, type, waitForFrame } from '../../test/helpers/ink.js';
import { fakeServices, unreadServices } from '../../test/helpers/wizard-services.js';
import { App } from './App.js';
import { runPlain } from './plain/wizard-plain.js';

/**
 * Ink and --plain only draw the flow's states and send its events: the same walk through either
 * sends the same events, in the same order, and ends the same way (same entry written, same exit).
 * The world's answers (probe, preview, write, run) are left out: they come from the one effect runner.
 */
const WORLD = new Set(['probed', 'previewed', 'written', 'run-finished', 'setup-finished', 'failed']);
const operator = (events: WizardEvent[]) => events.filter((e) => !WORLD.has(e.type));

/** A prompt that answers from a script, checking that each question is the one expected. */
function scripted(answers: [RegExp, string][]) {
  const asked: string[] = [];
  const prompt = async (q: Question) => {
    asked.push(q.message);
    const next = answers.shift();
    if (!next) throw new Error(`no scripted answer for "${q.message}"`);
    if (!next[0].test(q.message)) throw new Error(`expected a question matching ${next[0]}, got "${q.message}"`);
    return { v: next[1] };
  };
  return { prompt, asked };
}

const BACK = '\u0000back';

async function viaInk(
  o: Parameters<typeof fakeServices>[0],
  keys: (stdin: { write(s: string): void }, lastFrame: () => string | undefined) => Promise<void>,
) {
  const services = fakeServices(o);
  const events: WizardEvent[] = [];
  const exits: number[] = [];
  const r = renderApp(<App services={services} onExit={(c) => exits.push(c)} showTime={false} tap={(e) => events.push(e)} />);
  await keys(r.stdin, r.lastFrame);
  await settle(30);
  r.unmount();
  return { events, exits, written: services.written, runs: services.runs };
}

async function viaPlain(
  o: Parameters<typeof fakeServices>[0],
  answers: [RegExp, string][],
  services: ReturnType<typeof fakeServices> = fakeServices(o),
  said: string[] = [],
) {
  const events: WizardEvent[] = [];
  const { prompt } = scripted(answers);
  const stderr = process.stderr.write;
  const stdout = process.stdout.write;
  // the plain front end prints as it goes: keep the test's output clean
  process.stderr.write = ((s: string) => (said.push(String(s)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await runPlain(services, { advancedOpen: false, prompt, tap: (e) => events.push(e) });
    return { events, exits: [code], written: services.written, runs: services.runs };
  } finally {
    process.stderr.write = stderr;
    process.stdout.write = stdout;
  }
}

describe('both front ends send the same events', () => {
  it('a new VM, with a step back from the backing question, written only', async () => {
    const ink = await viaInk({}, async (stdin, lastFrame) => {
      await press(stdin, KEY.enter);
      await settle();
      await type(stdin, 'web.example.com');
      await press(stdin, KEY.enter, KEY.escape); // back to the name
      await press(stdin, KEY.enter); // the name is kept
      await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin, mastersalt, advanced
      await waitForFrame(lastFrame, 'write and run');
      await press(stdin, KEY.down, KEY.enter); // write only
    });
    const plain = await viaPlain({}, [
      [/^Compute node$/, 'devhost10.local'],
      [/^Container name/, 'web.example.com'],
      [/^Backing store$/, BACK],
      [/^Container name/, 'web.example.com'],
      [/^Backing store$/, 'dir'],
      [/^Install mode$/, 'clone'],
      [/^Origin container$/, 'makina-states-precise'],
      [/^Salt mode$/, 'mastersalt'],
      [/^Advanced options/, 'keep'],
      [/^Write the entry\?$/, 'write'],
    ]);
    expect(operator(plain.events)).toEqual(operator(ink.events));
    expect(operator(ink.events).map((e) => e.type)).toEqual([
      'pick-node',
      'name',
      'back',
      'name',
      'backing',
      'install',
      'origin',
      'mode',
      'advanced',
      'review',
    ]);
    expect(plain.written).toEqual(ink.written);
    expect(ink.written).toEqual([{ node: 'devhost10.local', vm: 'web.example.com', entry: { profile_type: 'dir' }, update: false }]);
    expect(plain.exits).toEqual(ink.exits);
    expect(ink.exits).toEqual([0]);
  });

  it('a name the node has a container of that lxc-wizard did not make: taken over only when chosen, and the run adopts it', async () => {
    const o = { probe: { foreign: ['hand.example.com'] } };
    const ink = await viaInk(o, async (stdin, lastFrame) => {
      await press(stdin, KEY.enter);
      await settle();
      await type(stdin, 'hand.example.com');
      await press(stdin, KEY.enter);
      await waitForFrame(lastFrame, 'was not made by lxc-wizard');
      await press(stdin, KEY.down, KEY.enter); // take it over
      await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin, mastersalt, advanced
      await waitForFrame(lastFrame, 'write and run');
      await press(stdin, KEY.enter);
      await waitForFrame(lastFrame, 'is ready on');
      await press(stdin, KEY.enter);
    });
    const plain = await viaPlain(o, [
      [/^Compute node$/, 'devhost10.local'],
      [/^Container name/, 'hand.example.com'],
      [/was not made by lxc-wizard$/, 'adopt'],
      [/^Backing store$/, 'dir'],
      [/^Install mode$/, 'clone'],
      [/^Origin container$/, 'makina-states-precise'],
      [/^Salt mode$/, 'mastersalt'],
      [/^Advanced options/, 'keep'],
      [/^Write the entry\?$/, 'run'],
    ]);
    expect(operator(plain.events)).toEqual(operator(ink.events));
    expect(
      operator(ink.events)
        .map((e) => e.type)
        .slice(0, 4),
    ).toEqual(['pick-node', 'name', 'foreign', 'backing']);
    expect(ink.runs).toEqual(plain.runs);
    expect(ink.runs[0]).toMatchObject({ vm: 'hand.example.com', adopt: true });
  });

  it('edit an existing VM, then write and run it', async () => {
    const ink = await viaInk({}, async (stdin, lastFrame) => {
      await press(stdin, KEY.enter);
      await settle();
      await type(stdin, 'gfoobar.test.com');
      await press(stdin, KEY.enter, KEY.enter); // name, edit
      await press(stdin, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // lvm, clone, origin, small, mastersalt, advanced
      await waitForFrame(lastFrame, 'write and run');
      await press(stdin, KEY.enter);
      await waitForFrame(lastFrame, 'is ready on');
      await press(stdin, KEY.enter);
    });
    const plain = await viaPlain({}, [
      [/^Compute node$/, 'devhost10.local'],
      [/^Container name/, 'gfoobar.test.com'],
      [/already exists on devhost10\.local/, 'edit'],
      [/^Backing store$/, 'lvm'],
      [/^Install mode$/, 'clone'],
      [/^Origin container$/, 'makina-states-precise'],
      [/^Size$/, 'small'],
      [/^Salt mode$/, 'mastersalt'],
      [/^Advanced options/, 'keep'],
      [/^Write the entry\?$/, 'run'],
    ]);
    // the advanced answers come from the entry (its ip) in both
    expect(operator(plain.events)).toEqual(operator(ink.events));
    expect(plain.written).toEqual(ink.written);
    expect(ink.written[0]).toMatchObject({ vm: 'gfoobar.test.com', update: true, entry: { profile_type: 'lvm', profile: 'small' } });
    expect(plain.runs).toEqual(ink.runs);
    expect(plain.exits).toEqual([0]);
    expect(ink.exits).toEqual([0]);
  });

  it('with nothing kept of the pillar, --plain says it is reading it, then asks the first question', async () => {
    let done!: () => void;
    const parsed = new Promise<void>((r) => (done = r));
    const services = unreadServices(parsed);
    const said: string[] = [];
    const walk = viaPlain({}, [[/^Compute node$/, 'devhost10.local']], services, said);
    await new Promise((r) => setTimeout(r, 20));
    expect(said).toEqual(['reading /srv/pillar/lxc.sls…\n']);
    expect(services.started()).toBe(1);
    done();
    // the script has no second answer: the walk ends at the name, the first question answered
    await expect(walk).rejects.toThrow(/no scripted answer for "Container name/);
  });
});
