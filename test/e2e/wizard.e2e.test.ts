import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';
import { Terminal, tmuxMissing } from '../helpers/tmux.js';
import { bedDefaults, e2eMissing, openBed, ORIGIN, type Bed, type Sshd, INSTANCE } from '../helpers/testbed.js';

const missing = e2eMissing() ?? tmuxMissing();
const required = process.env.CI === 'true';
if (missing && !required) console.warn(`wizard terminal test skipped: ${missing}`);

const NODE = 'e2e-wiz-node';
const VM = 'wiz.e2e-wizard.test';
/** A bridge no node has yet: the "prepare this node now" test makes it through node setup. */
const NEW_BRIDGE = 'lxcwbr8';
/** Every container these tests may create, cleaned before and after even when a test failed. */
const ALL = [VM, 'plain.e2e-wizard.test'];
const term = new Terminal('lxcw-e2e');
const waitFor = term.waitFor.bind(term);
const keys = term.keys.bind(term);
/** The banner names the origin among the node's stopped containers, whatever else this machine has. */
const ORIGIN_IN_BANNER = new RegExp(`stopped containers: [^\\n]*\\b${ORIGIN.replaceAll('-', '\\-')}\\b`);

describe('prerequisites', () => {
  it.runIf(required)('tmux and the end-to-end test bed are available (required with CI=true)', () => {
    expect(missing).toBeUndefined();
  });
});

describe.skipIf(missing !== undefined)('the wizard in a real terminal (tmux) over real SSH and LXC', () => {
  let bed: Bed;
  let s: Bed;
  let sshd: Sshd;
  let pillar: string;
  let pki: string;

  beforeAll(async () => {
    s = bed = await openBed({ containers: ALL, bridges: [NEW_BRIDGE], hostsSuffix: 'e2e-wizard.test', alias: NODE, scratch });
    pki = join(s.dir, 'pki');
    await mkdir(join(pki, 'minions'), { recursive: true });
    sshd = bed.sshd;
    pillar = await s.file('lxc.sls', `# wizard session\n${bedDefaults()}makina-states.services.cloud.lxc.targets.${NODE}: {}\n`);
  }, 900_000);

  afterEach(() => term.end());

  /** lxc-wizard on the terminal, with this bed's home and state, in dev. */
  const launch = (args: string[], o: { unset?: string[] } = {}) =>
    term.start(
      [
        `HOME=${join(s.dir, 'home')}`,
        `XDG_STATE_HOME=${join(s.dir, 'state')}`,
        `LXC_WIZARD_INSTANCE=${INSTANCE}`,
        'NO_COLOR=1',
        process.execPath,
        BIN,
        '--env',
        'dev',
        ...args,
      ].join(' '),
      o.unset,
    );

  afterAll(async () => {
    await bed?.close();
  });

  it('asks, writes the entry, provisions the container and shows the result', async () => {
    launch([
      '--pillar',
      pillar,
      '--controller',
      'ctl.e2e.test',
      '--ssh-config',
      sshd.sshConfig,
      '--ssh-pubkey',
      sshd.clientPub,
      '--bootsalt-script',
      new URL('../fixtures/boot-salt-stand-in.sh', import.meta.url).pathname,
      '--master-pki',
      pki,
    ]);
    await waitFor('another host'); // the node list: the pillar is read
    expect(term.screen(true)).not.toContain('\u001b[3'); // NO_COLOR: no colours
    await keys('Enter');
    await waitFor('Container name');
    await waitFor(ORIGIN_IN_BANNER); // the node is probed: the offer comes as the name is answered
    await keys('-l', VM);
    await keys('Enter');
    // nobody ran node setup on the bed: the wizard offers it, and goes on where it was
    expect(await waitFor('is not ready for this VM')).toContain('node setup has not run (no lxc-wizard-net)');
    await keys('Enter');
    const backing = await waitFor('Backing store', 120_000);
    expect(backing).toContain('(unavailable: no LVM volume group on this node)');
    expect(backing).toContain('❯ overlayfs');
    await keys('Enter', 'Enter');
    await waitFor(`❯ ${ORIGIN}`);
    await keys('Enter', 'Enter');
    await waitFor('Advanced options');
    await keys('Enter');
    const review = await waitFor('write and run');
    expect(review).toContain('profile ms-e2e-wiz-node-overlayfs');
    expect(review).toContain(`+  ${VM}:`);
    expect(await readFile(pillar, 'utf8')).not.toContain(VM); // nothing written before the review is accepted
    await keys('Enter');
    // every step ran but the ping: this controller has no salt command to ask the master with
    const result = await waitFor('is provisioned on e2e-wiz-node with 1 step not done', 300_000);
    expect(result).toMatch(/ping: skipped \(.*\): nobody checked that its minion answers the master/);
    expect(result).toContain('password                ******** (p to reveal)');
    expect(result.replaceAll('\n', ' ')).toContain(`--vm ${VM} --ssh-config ${sshd.sshConfig}`);
    expect(await readdir(join(pki, 'minions'))).toEqual([VM]);
    const ip = /ip\s+(10\.77\.\d+\.\d+)/.exec(result)![1]!;
    expect(await readFile(pillar, 'utf8')).toContain(
      `makina-states.services.cloud.lxc.targets.${NODE}:\n  ${VM}:\n    profile_type: overlayfs\n`,
    );
    expect(execFileSync('lxc-info', ['-s', '-H', '-n', VM], { encoding: 'utf8' }).trim()).toBe('RUNNING');
    expect(execFileSync('lxc-attach', ['-n', VM, '--', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' })).toContain(
      `inet ${ip}/16`,
    );
    await keys('q');
    await waitFor('EXIT=0');
  }, 600_000);

  it('asks for the passphrase of an encrypted key before the UI starts, then reaches the node with it', async () => {
    const enc = join(s.dir, 'client-enc');
    execFileSync('sh', [
      '-c',
      'cp "$1" "$2" && chmod 600 "$2" && ssh-keygen -q -p -P "" -N "s3same" -f "$2"',
      'sh',
      sshd.clientPub.replace(/\.pub$/, ''),
      enc,
    ]);
    const cfg = await s.file('ssh_config_enc', (await readFile(sshd.sshConfig, 'utf8')).replace(/IdentityFile .*/, `IdentityFile ${enc}`));
    // the first test's wizard kept the first screen's summary of the pillar as it wrote it: this
    // one draws from it and parses after the frame (held answers, the transport made after)
    const kept = join(s.dir, 'state', 'lxc-wizard', 'pillar-summaries');
    const [summary] = await readdir(kept);
    const text = await readFile(pillar, 'utf8');
    expect(JSON.parse(await readFile(join(kept, summary!), 'utf8')).sha256).toBe(createHash('sha256').update(text).digest('hex'));
    launch(['--pillar', pillar, '--ssh-config', cfg], { unset: ['SSH_AUTH_SOCK'] });
    await waitFor(`Passphrase for ${enc}`);
    await keys('-l', 'wrong');
    await keys('Enter');
    await waitFor('wrong passphrase, try again');
    for (let i = 0; i < 'wrong'.length; i++) await keys('BSpace');
    await keys('-l', 's3same');
    await keys('Enter');
    await waitFor('another host'); // the node list: the pillar is read
    await keys('Enter');
    await waitFor(ORIGIN_IN_BANNER); // the probe logged in with the decrypted key
    await keys('-l', VM);
    await keys('Enter');
    await waitFor(`${VM} already exists on ${NODE}`); // the pillar, parsed after the first frame
    await keys('C-c');
    await waitFor('EXIT=130');
  }, 300_000);

  it('a big pillar never read before: the first frame says it is read, the node list follows, and its summary is kept', async () => {
    const lines = [bedDefaults().trimEnd(), `makina-states.services.cloud.lxc.targets.${NODE}:`];
    for (let i = 0; i < 5000; i++) lines.push(`  vm${i}.big.e2e-wizard.test: {profile_type: dir}`);
    const big = await s.file('big.sls', lines.join('\n') + '\n');
    const state = join(s.dir, 'state-big');
    term.start(
      [
        `HOME=${join(s.dir, 'home')}`,
        `XDG_STATE_HOME=${state}`,
        `LXC_WIZARD_INSTANCE=${INSTANCE}`,
        'NO_COLOR=1',
        process.execPath,
        BIN,
        '--pillar',
        big,
      ].join(' '),
    );
    expect(await waitFor(`reading ${big}…`)).not.toContain('(5000 VMs)');
    expect(await waitFor(`${NODE}  (5000 VMs)`)).not.toContain('reading');
    expect(await readdir(join(state, 'lxc-wizard', 'pillar-summaries'))).toHaveLength(1);
    await keys('C-c');
    await waitFor('EXIT=130');
  }, 120_000);

  it('--plain asks the same questions as line prompts and writes the entry', async () => {
    const vm = 'plain.e2e-wizard.test';
    launch(['--plain', '--pillar', pillar, '--ssh-config', sshd.sshConfig]);
    await waitFor('Compute node');
    await keys('Enter');
    await waitFor('Container name');
    await keys('-l', 'Bad Name');
    await keys('Enter');
    await waitFor('upper-case');
    for (let i = 0; i < 8; i++) await keys('BSpace');
    await keys('-l', vm);
    await keys('Enter');
    await waitFor('Backing store');
    await keys('Enter'); // overlayfs, preselected in dev
    await waitFor('Install mode');
    await keys('Down', 'Enter'); // create from a template
    await waitFor('Template image');
    await keys('C-u');
    await keys('-l', 'busybox');
    await keys('Enter');
    await waitFor('Salt mode');
    await keys('Enter');
    await waitFor('Advanced options');
    await keys('Enter'); // keep the defaults
    const review = await waitFor('Write the entry?');
    expect(review).toContain(`+  ${vm}:`);
    await keys('Down', 'Enter'); // write only
    await waitFor('EXIT=0');
    expect(await readFile(pillar, 'utf8')).toContain(`  ${vm}:\n    profile_type: overlayfs-scratch\n    image: busybox\n`);
  }, 300_000);

  it('offers to prepare a node that lacks the bridge, runs node setup with its step view, then asks the next question', async () => {
    const prep = await s.file(
      'prepare.sls',
      [
        `makina-states.cloud.lxc.defaults.bridge: ${NEW_BRIDGE}`,
        'makina-states.cloud.lxc.defaults.network: 10.78.0.0',
        'makina-states.cloud.lxc.defaults.gateway: 10.78.0.1',
        `makina-states.cloud.lxc.defaults.from_container: ${ORIGIN}`,
        `makina-states.services.cloud.lxc.targets.${NODE}: {}`,
        '',
      ].join('\n'),
    );
    launch(['--pillar', prep, '--controller', 'ctl.e2e.test', '--ssh-config', sshd.sshConfig, '--ssh-pubkey', sshd.clientPub]);
    await waitFor('another host'); // the node list: the pillar is read
    await keys('Enter');
    await waitFor('Container name');
    await waitFor(ORIGIN_IN_BANNER); // probed: the offer comes as the name is answered
    await keys('-l', 'prep.e2e-wizard.test');
    await keys('Enter');
    const offer = await waitFor('is not ready for this VM');
    expect(offer).toContain(`! bridge ${NEW_BRIDGE} does not exist`);
    expect(offer).toContain('❯ prepare this node now');
    await keys('Enter');
    await waitFor(`Preparing ${NODE} (node setup)`);
    // node setup done, the wizard asks the question the operator was going to
    const next = await waitFor('Backing store', 120_000);
    expect(next).not.toContain('not ready');
    expect(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', NEW_BRIDGE], { encoding: 'utf8' })).toContain('inet 10.78.0.1/16');
    await keys('C-c');
    await waitFor('EXIT=130');
  }, 300_000);
});
