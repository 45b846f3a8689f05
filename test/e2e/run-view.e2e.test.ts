import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';
import { Terminal, tmuxMissing } from '../helpers/tmux.js';
import { bedDefaults, e2eMissing, openBed, type Bed, yesArgs, INSTANCE_ENV } from '../helpers/testbed.js';

const missing = e2eMissing() ?? tmuxMissing();
const required = process.env.CI === 'true';
if (missing && !required) console.warn(`run view terminal tests skipped: ${missing}`);

const NODE = 'e2e-tree-node';
const OK = ['tree1.e2e-tree.test', 'tree2.e2e-tree.test'];
const BAD = 'tree3.e2e-tree.test';
const term = new Terminal('lxcw-tree', { columns: 120, lines: 60 });

describe('prerequisites', () => {
  it.runIf(required)('tmux and the end-to-end test bed are available (required with CI=true)', () => {
    expect(missing).toBeUndefined();
  });
});

describe.skipIf(missing !== undefined)('--yes with three VMs: a live tree on a terminal, lines that name their VM elsewhere', () => {
  let bed: Bed;
  let args: string[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    bed = await openBed({ containers: [...OK, BAD], hostsSuffix: 'e2e-tree.test', alias: NODE, scratch });
    const pki = join(bed.dir, 'pki');
    await mkdir(join(pki, 'minions'), { recursive: true });
    const pillar = await bed.file(
      'lxc.sls',
      `${bedDefaults()}makina-states.services.cloud.lxc.targets.${NODE}:\n` +
        OK.map((vm) => `  ${vm}: {profile_type: overlayfs}\n`).join('') +
        // LVM on a bed that has no volume group: preflight refuses it, before anything changes
        `  ${BAD}: {profile_type: lvm, vgname: no-such-vg}\n`,
    );
    env = { HOME: join(bed.dir, 'home'), XDG_STATE_HOME: join(bed.dir, 'state'), ...INSTANCE_ENV };
    args = yesArgs(
      { pillar, sshConfig: bed.sshd.sshConfig, pubkey: bed.sshd.clientPub, controller: 'ctl.e2e.test', masterPki: pki },
      '--no-salt',
      '--setup-nodes',
    );
  }, 900_000);

  afterEach(() => term.end());
  afterAll(async () => bed?.close());

  it('on a terminal: each step line under its VM while it runs; the failure keeps its hint and the log path on screen', async () => {
    term.start([...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'NO_COLOR=1', process.execPath, BIN, ...args].join(' '));
    const frames: string[] = [];
    const until = Date.now() + 240_000;
    for (;;) {
      const f = term.screen();
      frames.push(f);
      if (f.includes('EXIT=')) break;
      if (Date.now() > until) throw new Error(`the run did not end; the screen was:\n${f}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // some frame showed a VM open, its running step indented under it, before the next VM's row
    const open = frames.find((f) => OK.some((vm) => new RegExp(`⠋ ${vm.replaceAll('.', '\\.')}\\n(\\s{6}.*\\n)+`).test(f)));
    expect(open, `no frame showed a VM open with its steps; last:\n${frames.at(-1)}`).toBeDefined();
    const last = frames.at(-1)!;
    expect(last).toMatch(new RegExp(`^✖ ${NODE}`, 'm')); // never ✔ with a failed VM
    for (const vm of OK)
      expect(last).toMatch(
        new RegExp(`↓ ${vm.replaceAll('.', '\\.')}  provisioned, not done: initial_highstate \\(--no-salt\\), ping \\(--no-salt\\)`),
      );
    expect(last).toContain(`✖ ${BAD}  failed at preflight`);
    expect(last).toContain(`volume group no-such-vg does not exist on ${NODE}`);
    expect(last).toMatch(/hint: (create it \(vgcreate\)|volume groups there)/);
    expect(last).toMatch(/log: .*\.log/);
    expect(last).toContain('EXIT=1');
  }, 300_000);

  it('not on a terminal: every progress line starts with the VM it is about, no escape codes', async () => {
    const r = await runBin(args, { env });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('\u001b[');
    const rows = [...OK, BAD, `${NODE} (node setup)`];
    const progress = r.stderr.split('\n').filter((l) => l && !l.startsWith('log: '));
    expect(progress.length).toBeGreaterThan(20);
    for (const l of progress)
      expect(
        rows.some((n) => l.startsWith(`${n}  `)),
        l,
      ).toBe(true);
    expect(r.stdout).toContain(`${BAD} on ${NODE}: failed at preflight`);
    expect(r.stdout).toContain('3 VMs: 0 ready, 2 with steps not done, 1 failed');
  }, 300_000);
});
