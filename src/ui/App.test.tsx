import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { KEY, press, renderApp, settle, type, waitForFrame } from '../../test/helpers/ink.js';
import { fakeServices, unreadServices } from '../../test/helpers/wizard-services.js';
import { App } from './App.js';

const snap = (name: string) => `../../snapshots/${name}.txt`;

function start(o: Parameters<typeof fakeServices>[0] = {}, tweak?: (s: ReturnType<typeof fakeServices>) => void) {
  const services = fakeServices(o);
  tweak?.(services);
  const exits: number[] = [];
  const r = renderApp(<App services={services} onExit={(c) => exits.push(c)} showTime={false} />);
  return { ...r, services, exits };
}

/** Node (the first), then the name: what every walk starts with. */
async function toBacking(stdin: { write(s: string): void }, name: string) {
  await press(stdin, KEY.enter);
  await settle();
  await type(stdin, name);
  await press(stdin, KEY.enter);
}

describe('the wizard', () => {
  it('walks from node to result: LVM with size, writes the entry, runs, shows the settings', async () => {
    const { stdin, lastFrame, services, exits } = start();
    await expect(lastFrame()).toMatchFileSnapshot(snap('1-node'));
    await press(stdin, KEY.enter); // devhost10.local
    await settle();
    await expect(lastFrame()).toMatchFileSnapshot(snap('2-name'));
    await type(stdin, 'Web01');
    expect(lastFrame()).toContain('upper-case');
    await press(stdin, '\x7f\x7f\x7f\x7f\x7f'); // a pasted run of backspaces deletes as many
    expect(lastFrame()).not.toContain('Web');
    await type(stdin, 'web01.example.com');
    await press(stdin, KEY.enter);
    await expect(lastFrame()).toMatchFileSnapshot(snap('3-backing'));
    await press(stdin, KEY.enter); // lvm (the prod default)
    await expect(lastFrame()).toMatchFileSnapshot(snap('3b-install'));
    await press(stdin, KEY.enter); // clone
    await expect(lastFrame()).toMatchFileSnapshot(snap('3c-origin'));
    await press(stdin, KEY.enter); // makina-states-precise
    await expect(lastFrame()).toMatchFileSnapshot(snap('4-size'));
    await press(stdin, KEY.down, KEY.enter); // small
    await expect(lastFrame()).toMatchFileSnapshot(snap('5-mode'));
    await press(stdin, KEY.down, KEY.enter); // salt
    await expect(lastFrame()).toMatchFileSnapshot(snap('6-advanced-closed'));
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'write and run');
    await expect(lastFrame()).toMatchFileSnapshot(snap('7-review'));
    expect(services.written).toEqual([]);
    await press(stdin, KEY.enter); // write and run
    await waitForFrame(lastFrame, 'is ready on');
    expect(services.written).toEqual([
      { node: 'devhost10.local', vm: 'web01.example.com', entry: { profile_type: 'lvm', profile: 'small', mode: 'salt' }, update: false },
    ]);
    await expect(lastFrame()).toMatchFileSnapshot(snap('9-result'));
    expect(lastFrame()!.replaceAll('\n', ' ')).toContain('--profile-type lvm --size small --mode salt');
    expect(lastFrame()).not.toContain('S3cret');
    await press(stdin, 'p');
    expect(lastFrame()).toContain('S3cretS3cretS3cret');
    await press(stdin, KEY.enter);
    await settle();
    expect(exits).toEqual([0]);
    // the frame the terminal keeps after the wizard: the password hidden again
    expect(lastFrame()).not.toContain('S3cretS3cretS3cret');
  });

  it('keys typed quickly (several in one write) are applied in order on every list: Down and Enter together pick the next choice', async () => {
    const { stdin, lastFrame, services } = start();
    await press(stdin, KEY.enter); // devhost10.local
    await settle();
    await press(stdin, 'fast.example.com' + KEY.enter);
    await waitForFrame(lastFrame, 'Backing store');
    // one write each, as a fast typist, a paste or tmux send-keys delivers them
    await press(stdin, KEY.down + KEY.enter); // dir (the second choice)
    await waitForFrame(lastFrame, 'Install mode');
    await press(stdin, KEY.down + KEY.enter); // create (the second choice), not clone
    await waitForFrame(lastFrame, 'Template');
    await press(stdin, KEY.ctrlU + 'busybox' + KEY.enter); // a text field too: clear, type, Enter in one write
    await waitForFrame(lastFrame, 'Salt mode');
    await press(stdin, KEY.down + KEY.down + KEY.up + KEY.enter); // salt: down, down, up
    await waitForFrame(lastFrame, 'Advanced');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.down + KEY.enter); // write only
    await settle(20);
    expect(services.written).toEqual([
      {
        node: 'devhost10.local',
        vm: 'fast.example.com',
        entry: { profile_type: 'dir-scratch', image: 'busybox', mode: 'salt' },
        update: false,
      },
    ]);
  });

  it("the template is checked against the node's templates: a typo is refused with the list, the prefilled one is one the node has", async () => {
    const { stdin, lastFrame, services } = start({ probe: { templates: ['busybox', 'debian', 'download'] } });
    await press(stdin, KEY.enter);
    await settle();
    await press(stdin, 'tpl.example.com' + KEY.enter);
    await waitForFrame(lastFrame, 'Backing store');
    await press(stdin, KEY.down + KEY.enter, KEY.down + KEY.enter); // dir, create
    await waitForFrame(lastFrame, 'Template image');
    expect(lastFrame()).toContain('Template image: debian'); // ubuntu, the default, is not there
    expect(lastFrame()).toContain('templates on devhost10.local: busybox, debian, download');
    await press(stdin, KEY.ctrlU + 'busyboxx' + KEY.enter);
    await settle();
    expect(lastFrame()).toContain('the node has no template busyboxx: it has busybox, debian, download');
    expect(lastFrame()).toContain('Template image');
    await press(stdin, KEY.backspace + KEY.enter);
    await waitForFrame(lastFrame, 'Salt mode');
    expect(services.written).toEqual([]);
  });

  /** On the backing question of a node with no volume group whose probe answers only on `answer()`. */
  async function slowNodeAtBacking(name: string) {
    let answer!: () => void;
    const probeGate = new Promise<void>((r) => (answer = r));
    const w = start({ probe: { volumeGroups: [] }, probeGate });
    await press(w.stdin, KEY.enter);
    await settle();
    await press(w.stdin, name + KEY.enter);
    await waitForFrame(w.lastFrame, 'Backing store');
    return { ...w, answer };
  }

  /** Enter on the backing question, then clone, the origin, mastersalt, the advanced defaults, write only: the profile type written. */
  async function writeFromBacking(w: Awaited<ReturnType<typeof slowNodeAtBacking>>) {
    await press(w.stdin, KEY.enter, KEY.enter, KEY.enter);
    await waitForFrame(w.lastFrame, 'Salt mode');
    await press(w.stdin, KEY.enter, KEY.enter);
    await waitForFrame(w.lastFrame, 'write and run');
    await press(w.stdin, KEY.down + KEY.enter);
    await settle(20);
    return w.services.written[0]!.entry.profile_type;
  }

  it("the preselection follows the node's facts when they arrive late, unless the operator already moved", async () => {
    const w = await slowNodeAtBacking('late.example.com');
    expect(w.lastFrame()).toMatch(/❯ lvm/); // prod's default, before the node said anything
    w.answer();
    await waitForFrame(w.lastFrame, /unavailable/);
    // no volume group on the node: lvm is not a choice, and Enter takes what is preselected now
    expect(w.lastFrame()).not.toMatch(/❯ lvm/);
    expect(await writeFromBacking(w)).not.toBe('lvm');
  });

  it('a choice the operator moved to before the facts arrived stays chosen when the list changes under it', async () => {
    const w = await slowNodeAtBacking('moved.example.com');
    await press(w.stdin, KEY.down); // dir, second of three while lvm is still offered
    w.answer();
    await waitForFrame(w.lastFrame, /unavailable/);
    expect(w.lastFrame()).toMatch(/❯ dir/); // still dir: the list lost lvm above it
    expect(await writeFromBacking(w)).toBe('dir');
  });

  it('goes back one screen with Esc from every question, keeping every answer', async () => {
    const { stdin, lastFrame } = start();
    await toBacking(stdin, 'web02.example.com');
    await press(stdin, KEY.enter, KEY.enter, KEY.down, KEY.enter); // lvm, clone, origin base-bookworm
    expect(lastFrame()).toContain('Size (LVM logical volume)');
    await press(stdin, KEY.down, KEY.enter, KEY.enter); // small, mastersalt
    expect(lastFrame()).toContain('Advanced options');
    const expectBack = async (title: string, cursor?: string) => {
      await press(stdin, KEY.escape);
      expect(lastFrame()).toContain(title);
      if (cursor) expect(lastFrame()).toContain(`❯ ${cursor}`);
    };
    await expectBack('Salt mode', 'mastersalt');
    await expectBack('Size (LVM logical volume)', 'small');
    await expectBack('Origin container', 'base-bookworm');
    await expectBack('Install mode (lvm backing)', 'clone');
    await expectBack('Backing store', 'lvm');
    await expectBack('Container name');
    expect(lastFrame()).toContain('web02.example.com');
    await expectBack('Compute node', 'devhost10.local');
    await press(stdin, KEY.escape); // nothing before the first screen
    expect(lastFrame()).toContain('Compute node');
  });

  it('lists what the node cannot serve under the choices, dimmed with the reason, and preselects what it can', async () => {
    const { stdin, lastFrame } = start({ probe: { volumeGroups: [] } });
    await toBacking(stdin, 'web03.example.com');
    const frame = lastFrame()!;
    expect(frame).toContain('❯ dir        a plain directory');
    expect(frame).toContain('  lvm        a logical volume each (prod default)  (unavailable: no LVM volume group on this node)');
    expect(frame.indexOf('overlayfs')).toBeLessThan(frame.indexOf('unavailable')); // listed under the choices
    await expect(lastFrame()).toMatchFileSnapshot(snap('3d-backing-disabled'));
    await press(stdin, KEY.up, KEY.up, KEY.up); // the cursor never lands on lvm
    expect(lastFrame()).not.toContain('❯ lvm');
  });

  it('with no bootstrap script on the controller, says so on the salt-mode screen and offers "no salt"; the result names what was skipped', async () => {
    const { stdin, lastFrame, services } = start({ noBootstrap: true });
    await toBacking(stdin, 'web07.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin
    const mode = lastFrame()!;
    expect(mode).toContain('no salt bootstrap here (/srv/mastersalt/makina-states/_scripts/boot-salt.sh');
    expect(mode).toContain('❯ no salt');
    expect(mode).toContain('(unavailable: no boot-salt.sh for it on this controller)');
    await expect(lastFrame()).toMatchFileSnapshot(snap('5b-mode-no-bootstrap'));
    await press(stdin, KEY.enter, KEY.enter); // no salt, advanced defaults
    await waitForFrame(lastFrame, 'write and run');
    expect(lastFrame()).toContain('(no salt: the bootstrap and the highstate are skipped)');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'not done');
    expect(services.runs).toEqual([{ node: 'devhost10.local', vm: 'web07.example.com', noSalt: true }]);
    const result = lastFrame()!;
    expect(result).toContain('web07.example.com is provisioned on devhost10.local with 2 steps not done');
    expect(result).toContain('initial_setup: skipped (--no-salt): the salt bootstrap did not run: the password shown is not set');
    expect(result).toContain('initial_highstate: skipped (--no-salt): salt has not run its highstate');
    expect(result).not.toContain('is ready');
    expect(result).toContain('--vm web07.example.com --no-salt');
    await expect(lastFrame()).toMatchFileSnapshot(snap('9b-result-skipped'));
  });

  it('offers edit, re-run or another name for an existing VM; edit writes every key it changed, as --update', async () => {
    const rerun = start();
    await toBacking(rerun.stdin, 'gfoobar.test.com');
    await expect(rerun.lastFrame()).toMatchFileSnapshot(snap('2b-name-exists'));
    await press(rerun.stdin, KEY.down, KEY.enter); // re-run its steps
    await waitForFrame(rerun.lastFrame, 'is ready on');
    expect(rerun.services.written).toEqual([]);
    expect(rerun.services.runs).toEqual([{ node: 'devhost10.local', vm: 'gfoobar.test.com', noSalt: false }]);
    expect(rerun.lastFrame()).not.toContain('lxc-wizard add');

    const edit = start();
    await toBacking(edit.stdin, 'gfoobar.test.com');
    await press(edit.stdin, KEY.enter); // edit
    expect(edit.lastFrame()).toContain('❯ lvm'); // the entry's answers
    await press(edit.stdin, KEY.enter, KEY.enter, KEY.enter); // lvm, clone, origin
    expect(edit.lastFrame()).toContain('❯ small');
    await press(edit.stdin, KEY.up, KEY.enter); // medium: the default, written because the entry had a profile
    await press(edit.stdin, KEY.enter, KEY.enter); // mode, advanced
    await waitForFrame(edit.lastFrame, 'write and run');
    await press(edit.stdin, KEY.down, KEY.enter); // write only
    await settle(20);
    expect(edit.services.written).toEqual([
      {
        node: 'devhost10.local',
        vm: 'gfoobar.test.com',
        entry: { profile_type: 'lvm', profile: 'medium', ip: '10.5.10.16' },
        update: true,
      },
    ]);
    expect(edit.exits).toEqual([0]);
  });

  it('opens the advanced options on request, remembers it, and masks the password', async () => {
    const { stdin, lastFrame, services } = start();
    await toBacking(stdin, 'web04.example.com');
    await press(stdin, KEY.down, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // overlayfs, clone, origin, mode
    await press(stdin, 'a');
    expect(services.remembered).toEqual([true]);
    expect(lastFrame()).toContain('10.5.0.2 (next free)');
    await expect(lastFrame()).toMatchFileSnapshot(snap('6b-advanced-open'));
    await type(stdin, '10.5.0.77');
    await press(stdin, KEY.enter, KEY.enter); // ip, mac (default)
    await type(stdin, 'hunter22');
    expect(lastFrame()).toContain('********');
    expect(lastFrame()).not.toContain('hunter22');
    await press(stdin, KEY.enter);
    await type(stdin, 'a..b'); // a branch git refuses: core's check, as validate would say later
    expect(lastFrame()).toContain('✗ the branch');
    await press(stdin, KEY.ctrlU); // Ctrl-U clears the field
    expect(lastFrame()).not.toContain('a..b');
    await press(stdin, KEY.enter, 'n', KEY.enter); // branch default, snapshot no, autostart default
    await waitForFrame(lastFrame, 'write and run');
    await expect(lastFrame()).toMatchFileSnapshot(snap('7b-review-warnings'));
    expect(lastFrame()).toContain('! do not use snapshot in production');
    await press(stdin, KEY.down, KEY.enter); // write only
    await settle(20);
    expect(services.written[0]!.entry).toEqual({ profile_type: 'overlayfs', ip: '10.5.0.77', password: 'hunter22', snapshot: false });
  });

  it('shows a failing step with its hint and the log; a retry keeps the finished steps finished', async () => {
    const { stdin, lastFrame, services } = start({ failStep: 'initial_setup' });
    await toBacking(stdin, 'web05.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.down, KEY.enter);
    await type(stdin, 'busybox');
    await press(stdin, KEY.enter, KEY.enter, KEY.enter); // image, mode, advanced
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.enter); // run
    await waitForFrame(lastFrame, 'retry from');
    await expect(lastFrame()).toMatchFileSnapshot(snap('8-run-failed'));
    expect(lastFrame()).toContain('hint: use an image that has chpasswd');
    expect(lastFrame()).toContain('log: /tmp/run.log');
    await press(stdin, KEY.enter); // retry
    await waitForFrame(lastFrame, 'is ready on');
    expect(services.runs.at(-1)!.from).toBe('initial_setup');
    expect(lastFrame()).toContain('is ready on devhost10.local');
  });

  it('skip: the run goes on after the failed step, the run view keeps what finished, the result names the skip', async () => {
    const { stdin, lastFrame, services } = start({ failStep: 'grains', hangStep: 'initial_setup' });
    await toBacking(stdin, 'web08.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin, mode, advanced
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'skip grains and go on');
    await press(stdin, KEY.down, KEY.enter); // skip
    await waitForFrame(lastFrame, '⠋ initial_setup');
    const running = lastFrame()!;
    for (const done of ['spawn', 'reverse_proxy', 'hostsfile', 'sshkeys']) expect(running).toContain(`✔ ${done}`);
    expect(running).toContain('↓ grains  skipped (skipped by you)');
    expect(services.runs.at(-1)!.from).toBe('initial_setup');
    await press(stdin, KEY.ctrlC, KEY.ctrlC); // abort the hanging step
    await settle(20);
  });

  it('a skipped step is named on the result screen', async () => {
    const { stdin, lastFrame } = start({ failStep: 'initial_highstate' });
    await toBacking(stdin, 'web09.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'skip initial_highstate and go on');
    await press(stdin, KEY.down, KEY.enter);
    await waitForFrame(lastFrame, 'not done');
    expect(lastFrame()).toContain('web09.example.com is provisioned on devhost10.local with 1 step not done');
    expect(lastFrame()).toContain('initial_highstate: skipped (skipped by you): salt has not run its highstate');
  });

  it('Ctrl-C before the run quits leaving no trace; during the run the first asks, the second aborts', async () => {
    const before = start();
    await press(before.stdin, KEY.enter, KEY.ctrlC);
    expect(before.exits).toEqual([130]);
    expect(before.services.written).toEqual([]);

    const during = start({ hangStep: 'spawn' });
    await toBacking(during.stdin, 'web06.example.com');
    await press(during.stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin, mode, advanced
    await waitForFrame(during.lastFrame, 'write and run');
    await press(during.stdin, KEY.enter);
    await waitForFrame(during.lastFrame, '⠋ spawn');
    await expect(during.lastFrame()).toMatchFileSnapshot(snap('8b-run-in-progress'));
    await press(during.stdin, KEY.ctrlC);
    expect(during.lastFrame()).toContain('Abort what is running on the node? Press Ctrl-C again');
    await press(during.stdin, 'x'); // any other key: go on
    expect(during.lastFrame()).not.toContain('Abort what is running on the node?');
    await press(during.stdin, KEY.ctrlC, KEY.ctrlC);
    await waitForFrame(during.lastFrame, '■ spawn');
    expect(during.exits).toEqual([130]);
  });

  it('narrows a long node list as you type, with the count of matches (200 nodes)', async () => {
    const nodes = Array.from({ length: 200 }, (_, i) => ({ name: `cn${String(i).padStart(3, '0')}.fleet.example.net`, vmCount: i % 7 }));
    const { stdin, lastFrame, services } = start({ nodes });
    expect(lastFrame()).toContain('201 choices: type to narrow them');
    expect(
      lastFrame()!
        .split('\n')
        .filter((l) => l.includes('.fleet.example.net')).length,
    ).toBe(10);
    await type(stdin, 'cn19');
    expect(lastFrame()).toContain('filter: cn19  ·  10 of 201 match');
    await expect(lastFrame()).toMatchFileSnapshot(snap('1b-node-filtered'));
    await press(stdin, KEY.down, KEY.down, KEY.enter);
    await settle();
    expect(lastFrame()).toContain('node cn192.fleet.example.net');
    expect(services.nodes()?.length).toBe(200);
  });

  it('offers to prepare a node that is not ready, runs node setup with its step view, then continues where the operator was', async () => {
    const { stdin, lastFrame, services } = start({ probe: { missing: ['bridge lxcbr1 does not exist'] } });
    await toBacking(stdin, 'web10.example.com');
    await waitForFrame(lastFrame, 'is not ready for this VM');
    expect(lastFrame()).toContain('! bridge lxcbr1 does not exist');
    await expect(lastFrame()).toMatchFileSnapshot(snap('2c-prepare'));
    await press(stdin, KEY.enter); // prepare this node now
    await waitForFrame(lastFrame, 'Backing store');
    expect(services.setups).toEqual([{ node: 'devhost10.local', origins: [] }]);
    await press(stdin, KEY.down, KEY.enter, KEY.enter); // dir, clone
    expect(lastFrame()).toContain('Origin container');
  });

  it('prepares the node for an origin it lacks, and shows a failed node setup with retry', async () => {
    const { stdin, lastFrame, services } = start({ probe: { stopped: [] }, setupFails: 1 });
    await toBacking(stdin, 'web11.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.enter); // dir, clone
    expect(lastFrame()).toContain('makina-states-precise  (not on the node yet)');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'no stopped container makina-states-precise on devhost10.local');
    await press(stdin, KEY.enter); // prepare
    await waitForFrame(lastFrame, 'retry node setup');
    expect(lastFrame()).toContain('lxc failed: apt-get failed');
    expect(lastFrame()).toContain('hint: check the node');
    await expect(lastFrame()).toMatchFileSnapshot(snap('2d-setup-failed'));
    await press(stdin, KEY.enter); // retry
    await waitForFrame(lastFrame, 'Salt mode');
    expect(services.setups).toEqual([
      { node: 'devhost10.local', origins: ['makina-states-precise'] },
      { node: 'devhost10.local', origins: ['makina-states-precise'] },
    ]);
  });

  it('shows a refused write with its location and hint, and stays on the review', async () => {
    const { stdin, lastFrame } = start({}, (s) => {
      s.write = async () => {
        throw new UserError('the pillar changed since the review', {
          where: { file: '/srv/pillar/lxc.sls' },
          hint: 'review again: Esc, then Enter',
        });
      };
    });
    await toBacking(stdin, 'web12.example.com');
    await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'the pillar changed');
    expect(lastFrame()).toContain('✗ /srv/pillar/lxc.sls: the pillar changed since the review');
    expect(lastFrame()).toContain('hint: review again: Esc, then Enter');
    expect(lastFrame()).toContain('write and run');
    expect(lastFrame()).not.toContain('at ');
  });

  it('a node it cannot reach, and a run that cannot start: message and hint on screen, no stack', async () => {
    const { stdin, lastFrame } = start({}, (s) => {
      s.probe = async () => {
        throw new UserError('cannot connect to devhost10.local (127.0.0.1:1): connection refused', { hint: 'check that sshd runs there' });
      };
      s.run = async () => {
        throw new UserError('cannot connect to devhost10.local (127.0.0.1:1): connection refused', {
          where: { node: 'devhost10.local' },
          hint: 'check that sshd runs there, or the Port in --ssh-config',
        });
      };
    });
    await toBacking(stdin, 'web13.example.com');
    await waitForFrame(lastFrame, 'not reachable');
    expect(lastFrame()!.replaceAll('\n', ' ')).toContain(
      'node devhost10.local: not reachable (cannot connect to devhost10.local (127.0.0.1:1): connection refused)',
    );
    expect(lastFrame()).toContain('hint: check that sshd runs there');
    await press(stdin, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await waitForFrame(lastFrame, 'write and run');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'hint: check that sshd runs there, or the Port');
    expect(lastFrame()).toContain('✗ node devhost10.local: cannot connect to devhost10.local');
    expect(lastFrame()).toContain('retry from the start');
    expect(lastFrame()).not.toMatch(/\n\s+at /);
  });
});

describe('the wizard drawn before the pillar is parsed (a kept summary)', () => {
  it('starts the parse once the first frame is out, and holds the answers until it is done', async () => {
    let started = 0;
    let done!: () => void;
    const parsed = new Promise<void>((r) => (done = r));
    const { stdin, lastFrame } = start({}, (s) => (s.ready = () => (started++, parsed)));
    expect(lastFrame()).toContain('Compute node');
    await settle();
    // the Ink front end asked for it without a key pressed: the parse runs while the operator reads
    expect(started).toBe(1);
    await press(stdin, KEY.enter); // devhost10.local, before the parse is done
    await settle();
    expect(lastFrame()).toContain('Compute node');
    expect(lastFrame()).not.toContain('Container name');
    done();
    await waitForFrame(lastFrame, 'Container name');
    expect(started).toBe(1);
  });

  it('with nothing kept of the pillar, the first frame says it is being read; the nodes come when it is', async () => {
    let done!: () => void;
    const services = unreadServices(new Promise<void>((r) => (done = r)));
    const { stdin, lastFrame } = renderApp(<App services={services} onExit={() => undefined} showTime={false} />);
    expect(lastFrame()).toContain('Compute node');
    expect(lastFrame()).toContain('reading /srv/pillar/lxc.sls…');
    expect(lastFrame()).not.toContain('devhost10.local');
    // nothing to choose yet: the key line says so
    expect(lastFrame()).toContain('Ctrl-C quit');
    expect(lastFrame()).not.toContain('Enter confirm');
    await settle();
    expect(services.started()).toBe(1);
    done();
    await waitForFrame(lastFrame, 'devhost10.local');
    expect(lastFrame()).not.toContain('reading');
    expect(lastFrame()).toContain('Enter confirm');
    await press(stdin, KEY.enter);
    await waitForFrame(lastFrame, 'Container name');
  });
});
