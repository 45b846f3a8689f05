import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wizardServices } from '../../src/app/wizard-services.js';
import { openWorkspace } from '../../src/app/workspace.js';
import { equivalentCommands } from '../../src/wizard/commands.js';
import { WizardMachine } from '../../src/wizard/machine.js';
import type { WizardEvent } from '../../src/wizard/types.js';
import { runCli } from '../helpers/cli.js';
import { scratch, SEED } from '../helpers/pillar.js';

/**
 * "The same, without the wizard" is exact: the wizard writes an entry into one copy of a pillar
 * (through the real services, as the UI would), its equivalent `add` command runs on another copy,
 * and the two files are equal byte for byte.
 */
let s: Awaited<ReturnType<typeof scratch>>;
let viaWizard: string;
let viaCommand: string;
beforeEach(async () => {
  s = await scratch();
  viaWizard = await s.file('a.sls');
  viaCommand = await s.file('b.sls');
  await copyFile(SEED, viaWizard);
  await copyFile(SEED, viaCommand);
});
afterEach(() => s.cleanup());

const CONTEXT = ['--env', 'prod', '--controller', 'ctl.example.net'];

async function wizard(events: WizardEvent[]) {
  const ws = await openWorkspace({ pillar: viaWizard, env: 'prod', controller: 'ctl.example.net' });
  const services = await wizardServices(
    ws,
    { home: join(s.dir, 'home'), stateHome: join(s.dir, 'state') },
    { noSalt: false, commandArgs: { context: CONTEXT, run: [] } },
  );
  // no node to reach here: the probe says the node is ready (what it finds does not change the entry)
  services.probe = async () => ({
    state: 'ok',
    lxcVersion: '5.0',
    stopped: ['makina-states-precise', 'web-origin'],
    volumeGroups: ['lxc'],
    missing: [],
  });
  const m = new WizardMachine(services, { advancedOpen: false });
  for (const e of events) {
    m.send(e);
    await m.idle();
  }
  const st = m.get();
  expect(st.error).toBeUndefined();
  expect(st.exit).toBe(0);
  return { state: st, services };
}

async function runEquivalent(st: Awaited<ReturnType<typeof wizard>>, password?: string) {
  const [add] = equivalentCommands(st.state, st.services);
  expect(add!.argv.slice(0, 2)).toEqual(['lxc-wizard', 'add']);
  const pwFile = join(s.dir, 'password');
  if (password !== undefined) await writeFile(pwFile, `${password}\n`);
  const argv = add!.argv.slice(1).map((a) => (a === viaWizard ? viaCommand : a === 'FILE' ? pwFile : a));
  const r = await runCli(argv, { cwd: s.dir });
  expect(r.code, r.stderr).toBe(0);
  return add!;
}

describe('the equivalent add command', () => {
  it('reproduces a clone entry with every answer changed from its default, byte for byte', async () => {
    const st = await wizard([
      { type: 'pick-node', node: 'devhost10.local' },
      { type: 'name', name: 'web01.example.com' },
      { type: 'backing', backing: 'lvm' },
      { type: 'install', install: 'clone' },
      { type: 'origin', origin: 'web-origin' },
      { type: 'size', size: 'small' },
      { type: 'mode', mode: 'salt' },
      { type: 'toggle-advanced', open: true },
      {
        type: 'advanced',
        advanced: {
          ip: '10.5.0.77',
          mac: '00:16:3e:aa:bb:cc',
          password: 'hunter2 with spaces',
          branch: 'feature/x',
          snapshot: true,
          autostart: false,
        },
      },
      { type: 'review', action: 'write' },
    ]);
    const add = await runEquivalent(st, 'hunter2 with spaces');
    expect(add.line).toContain(
      '--profile-type lvm --size small --mode salt --from-container web-origin --ip 10.5.0.77 --mac 00:16:3e:aa:bb:cc --password-file FILE --bootsalt-branch feature/x --snapshot yes --autostart no',
    );
    expect(add.note).toMatch(/FILE: a file holding the password/);
    expect(add.line).not.toContain('hunter2');
    const a = await readFile(viaWizard);
    expect(a.toString()).toContain('web01.example.com');
    expect(a.equals(await readFile(viaCommand))).toBe(true);
  });

  it('reproduces a scratch entry with its image', async () => {
    const st = await wizard([
      { type: 'pick-node', node: 'devhost10.local' },
      { type: 'name', name: 'scratch.example.com' },
      { type: 'backing', backing: 'dir' },
      { type: 'install', install: 'create' },
      { type: 'image', image: 'busybox' },
      { type: 'mode', mode: 'mastersalt' },
      { type: 'advanced', advanced: {} },
      { type: 'review', action: 'write' },
    ]);
    const add = await runEquivalent(st);
    expect(add.argv).toEqual([
      'lxc-wizard',
      'add',
      'devhost10.local',
      'scratch.example.com',
      '--pillar',
      viaWizard,
      ...CONTEXT,
      '--profile-type',
      'dir-scratch',
      '--image',
      'busybox',
    ]);
    expect((await readFile(viaWizard)).equals(await readFile(viaCommand))).toBe(true);
  });

  it('reproduces an edit of an existing entry (--update), a size set back to the default included', async () => {
    const st = await wizard([
      { type: 'pick-node', node: 'devhost10.local' },
      { type: 'name', name: 'gfoobar.test.com' },
      { type: 'existing', action: 'edit' },
      { type: 'backing', backing: 'lvm' },
      { type: 'install', install: 'clone' },
      { type: 'origin', origin: 'makina-states-precise' },
      { type: 'size', size: 'medium' },
      { type: 'mode', mode: 'mastersalt' },
      { type: 'advanced', advanced: { ip: '10.5.10.16', password: 'foobar' } },
      { type: 'review', action: 'write' },
    ]);
    const add = await runEquivalent(st, 'foobar');
    expect(add.argv).toContain('--update');
    expect(add.argv.join(' ')).toContain('--size medium');
    const text = (await readFile(viaWizard, 'utf8')).split('\n');
    const at = text.findIndex((l) => l.includes('gfoobar.test.com:'));
    expect(text.slice(at, at + 6).join('\n')).toContain('profile: medium');
    expect((await readFile(viaWizard)).equals(await readFile(viaCommand))).toBe(true);
  });
});
