import { describe, expect, it } from 'vitest';
import { KEY, press, renderApp, settle, type, waitForFrame } from '../../test/helpers/ink.js';
import { fakeServices } from '../../test/helpers/wizard-services.js';
import { App } from './App.js';

const snap = (name: string) => `../../snapshots/${name}.txt`;

function start(o: Parameters<typeof fakeServices>[0] = {}) {
  const services = fakeServices(o);
  const exits: number[] = [];
  const r = renderApp(<App services={services} onExit={(c) => exits.push(c)} showTime={false} />);
  return { ...r, services, exits };
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
    await press(stdin, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace);
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
    await expect(lastFrame()).toMatchFileSnapshot(snap('7-review'));
    expect(services.written).toEqual([]);
    await press(stdin, KEY.enter); // write and run
    await waitForFrame(lastFrame, 'is ready on');
    expect(services.written).toEqual([
      { node: 'devhost10.local', vm: 'web01.example.com', entry: { profile_type: 'lvm', profile: 'small', mode: 'salt' } },
    ]);
    await expect(lastFrame()).toMatchFileSnapshot(snap('9-result'));
    expect(lastFrame()).not.toContain('S3cret');
    await press(stdin, 'p');
    expect(lastFrame()).toContain('S3cretS3cretS3cret');
    await press(stdin, KEY.enter);
    expect(exits).toEqual([0]);
  });

  it('skips the size screen for non-LVM backings, and Esc goes back keeping every answer', async () => {
    const { stdin, lastFrame } = start();
    await press(stdin, KEY.enter);
    await type(stdin, 'web02.example.com');
    await press(stdin, KEY.enter, KEY.down, KEY.enter); // dir
    await press(stdin, KEY.enter, KEY.enter); // clone, origin
    expect(lastFrame()).toContain('Salt mode');
    await press(stdin, KEY.escape);
    expect(lastFrame()).toContain('Install mode (dir backing)');
    await press(stdin, KEY.escape);
    expect(lastFrame()).toContain('❯ dir        a plain directory');
    await press(stdin, KEY.escape);
    expect(lastFrame()).toContain('web02.example.com');
  });

  it('shows choices the node cannot serve as unavailable, and preselects one it can', async () => {
    const { stdin, lastFrame } = start({ probe: { volumeGroups: [], stopped: [] } });
    await press(stdin, KEY.enter);
    await settle();
    await type(stdin, 'web03.example.com');
    await press(stdin, KEY.enter);
    const frame = lastFrame()!;
    expect(frame).toContain('lvm        a logical volume each (prod default)  (unavailable: no LVM volume group on this node)');
    expect(frame).toContain('❯ dir        a plain directory');
    await press(stdin, KEY.enter);
    expect(lastFrame()).toContain('(unavailable: no stopped container on this node to clone)');
    expect(lastFrame()).toContain('❯ create from a template image');
    await expect(lastFrame()).toMatchFileSnapshot(snap('3d-install-disabled'));
  });

  it('offers edit, re-run or another name for an existing VM', async () => {
    const { stdin, lastFrame, services } = start();
    await press(stdin, KEY.enter);
    await type(stdin, 'gfoobar.test.com');
    await press(stdin, KEY.enter);
    await expect(lastFrame()).toMatchFileSnapshot(snap('2b-name-exists'));
    await press(stdin, KEY.down, KEY.enter); // re-run its steps
    await settle(50);
    expect(services.written).toEqual([]);
    expect(services.runs).toEqual([{ node: 'devhost10.local', vm: 'gfoobar.test.com', only: undefined }]);
  });

  it('opens the advanced options on request, remembers it, and masks the password', async () => {
    const { stdin, lastFrame, services } = start();
    await press(stdin, KEY.enter);
    await type(stdin, 'web04.example.com');
    await press(stdin, KEY.enter, KEY.down, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // overlayfs, clone, origin, mode
    await press(stdin, 'a');
    expect(services.remembered).toEqual([true]);
    expect(lastFrame()).toContain('10.5.0.2 (next free)');
    await expect(lastFrame()).toMatchFileSnapshot(snap('6b-advanced-open'));
    await type(stdin, '10.5.0.77');
    await press(stdin, KEY.enter, KEY.enter); // ip, mac (default)
    await type(stdin, 'hunter22');
    expect(lastFrame()).toContain('********');
    expect(lastFrame()).not.toContain('hunter22');
    await press(stdin, KEY.enter, KEY.enter, 'n', KEY.enter); // password, branch, snapshot no, autostart default
    await expect(lastFrame()).toMatchFileSnapshot(snap('7b-review-warnings'));
    expect(lastFrame()).toContain('! do not use snapshot in production');
    await press(stdin, KEY.down, KEY.enter); // write only
    await settle(20);
    expect(services.written[0]!.entry).toEqual({ profile_type: 'overlayfs', ip: '10.5.0.77', password: 'hunter22', snapshot: false });
  });

  it('shows a failing step with its hint and the log, then retries from it', async () => {
    const { stdin, lastFrame, services } = start({ failStep: 'initial_setup' });
    await press(stdin, KEY.enter);
    await type(stdin, 'web05.example.com');
    await press(stdin, KEY.enter, KEY.down, KEY.enter, KEY.down, KEY.enter);
    await type(stdin, 'busybox');
    await press(stdin, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // image, mode, advanced, run
    await waitForFrame(lastFrame, 'retry from');
    await expect(lastFrame()).toMatchFileSnapshot(snap('8-run-failed'));
    expect(lastFrame()).toContain('hint: use an image that has chpasswd');
    await press(stdin, KEY.enter); // retry
    await waitForFrame(lastFrame, 'is ready on');
    expect(services.runs.at(-1)!.only).toEqual(['initial_setup', 'initial_highstate', 'ping']);
    expect(lastFrame()).toContain('is ready on devhost10.local');
  });

  it('Ctrl-C before the run quits leaving no trace; during the run the first asks, the second aborts', async () => {
    const before = start();
    await press(before.stdin, KEY.enter, KEY.ctrlC);
    expect(before.exits).toEqual([130]);
    expect(before.services.written).toEqual([]);

    const during = start({ hangStep: 'spawn' });
    await press(during.stdin, KEY.enter);
    await type(during.stdin, 'web06.example.com');
    await press(during.stdin, KEY.enter, KEY.down, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter, KEY.enter); // dir, clone, origin, mode, advanced, run
    await waitForFrame(during.lastFrame, '⠋ spawn');
    await expect(during.lastFrame()).toMatchFileSnapshot(snap('8b-run-in-progress'));
    await press(during.stdin, KEY.ctrlC);
    expect(during.lastFrame()).toContain('Abort the running step? Press Ctrl-C again');
    await press(during.stdin, 'x'); // any other key: go on
    expect(during.lastFrame()).not.toContain('Abort the running step?');
    await press(during.stdin, KEY.ctrlC, KEY.ctrlC);
    await waitForFrame(during.lastFrame, '■ spawn');
    expect(during.exits).toEqual([130]);
  });
});
