import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { netPaths } from '../../src/engine/node-net.js';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';
import {
  bedDefaults,
  containerNames,
  e2eMissing,
  lxc,
  NET,
  openBed,
  ORIGIN,
  type Bed,
  type Sshd,
  yesArgs,
  INSTANCE_ENV,
  TEST_NET,
} from '../helpers/testbed.js';

const missing = e2eMissing();
const required = process.env.CI === 'true';
if (missing && !required) console.warn(`end-to-end provisioning tests skipped: ${missing}`);

const NODE = 'e2e-node';
const VMS = ['ovl.e2e.test', 'dirc.e2e.test', 'bb.e2e.test'];
/** Every container this file may create, for clean-up even after a failed run. */
const ALL = [...VMS, 'slow.e2e.test', 'hand.e2e.test', 'bbns.e2e.test'];
/** Another installation on this node: its table and forward must come out of this file untouched. */
const OTHER = netPaths('lxcw_other');
const STAND_IN = new URL('../fixtures/boot-salt-stand-in.sh', import.meta.url).pathname;
const PILLAR = `# end-to-end fleet
${bedDefaults()}makina-states.services.cloud.lxc.targets.${NODE}:
  ovl.e2e.test:
    profile_type: overlayfs
  dirc.e2e.test:
    profile_type: dir
    mode: salt
  bb.e2e.test:
    profile_type: dir-scratch
    image: busybox
`;

describe('prerequisites', () => {
  it.runIf(required)('the end-to-end test bed is available (required with CI=true)', () => {
    expect(missing).toBeUndefined();
  });
});

describe.skipIf(missing !== undefined)('provisioning real LXC containers over real SSH', () => {
  let s: Bed;
  let sshd: Sshd;
  let pillar: string;
  let args: string[];
  let env: NodeJS.ProcessEnv;
  let pki: string;
  const settings = async (vm: string) =>
    JSON.parse(
      (
        await runBin(
          ['settings', NODE, vm, '--pillar', pillar, '--env', 'dev', '--controller', 'ctl.e2e.test', '--json', '--show-secrets'],
          { env },
        )
      ).stdout,
    ).settings;

  beforeAll(async () => {
    s = await openBed({ containers: ALL, hostsSuffix: 'e2e.test', alias: NODE, scratch });
    otherBefore = await plantOther();
    sshd = s.sshd;
    pillar = await s.file('lxc.sls', PILLAR);
    pki = join(s.dir, 'pki');
    await mkdir(join(pki, 'minions'), { recursive: true });
    env = { HOME: join(s.dir, 'home'), XDG_STATE_HOME: join(s.dir, 'state'), ...INSTANCE_ENV };
    args = yesArgs(
      { pillar, sshConfig: sshd.sshConfig, pubkey: sshd.clientPub, controller: 'ctl.e2e.test', masterPki: pki, bootsalt: STAND_IN },
      '--setup-nodes',
      '--json',
    );
  }, 900_000);

  afterAll(async () => {
    removeOther();
    await s?.close();
  });

  let otherBefore = '';
  /**
   * Another installation's state on this node (its own table with a forward, its conf): made by
   * this file under a name of its own, compared at the end, then removed.
   */
  async function plantOther(): Promise<string> {
    removeOther();
    await mkdir(OTHER.forwards, { recursive: true });
    await writeFile(`${OTHER.forwards}/other.vm`, 'port=49999\nto=10.99.0.2:22\n');
    execFileSync('nft', ['-f', '-'], {
      input: `table ip ${OTHER.table} {\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n  fib daddr type local tcp dport 49999 dnat to 10.99.0.2:22 comment "lxcw vm other.vm"\n }\n}\n`,
    });
    return otherState();
  }
  function otherState(): string {
    return (
      execFileSync('nft', ['list', 'table', 'ip', OTHER.table], { encoding: 'utf8' }) + readFileSync(`${OTHER.forwards}/other.vm`, 'utf8')
    );
  }
  function removeOther(): void {
    try {
      execFileSync('nft', ['delete', 'table', 'ip', OTHER.table], { stdio: 'ignore' });
    } catch {
      // not there
    }
    rmSync(OTHER.dir, { recursive: true, force: true });
  }

  /** Run a printed way in as printed, non-interactively (BatchMode; the VM's host key is new). */
  function login(way: string, command: string): string {
    const words = way.split(' ');
    expect(words[0]).toBe('ssh');
    return execFileSync(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'ConnectTimeout=5',
        ...words.slice(1),
        command,
      ],
      { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  it('provisions an overlayfs snapshot clone and a dir clone; the busybox VM fails at initial_setup, saying why', async () => {
    const r = await runBin(args, { env });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    const vm = (n: string) => doc.vms.find((v: { name: string }) => v.name === n);
    const states = (n: string) => Object.fromEntries(vm(n).steps.map((x: { name: string; state: string }) => [x.name, x.state]));
    const allDone = {
      preflight: 'done',
      spawn: 'done',
      reverse_proxy: 'done',
      hostsfile: 'done',
      sshkeys: 'done',
      grains: 'done',
      initial_setup: 'done',
      initial_highstate: 'done',
      ping: 'skipped', // no mastersalt command on this controller
      reachable: 'done',
    };
    expect(states('ovl.e2e.test')).toEqual(allDone);
    expect(states('dirc.e2e.test')).toEqual(allDone);
    expect(states('bb.e2e.test')).toEqual({
      ...allDone,
      initial_setup: 'failed',
      initial_highstate: 'not-run',
      ping: 'not-run',
      reachable: 'not-run',
    });
    // the test bed's bridge existed already: node setup found it and made it persistent
    expect(vm('node setup').steps.map((x: { name: string }) => x.name)).toEqual([
      'node_sshkeys',
      'lxc',
      'bridge',
      'forwarding',
      'masquerade',
      'registry',
      'origin',
    ]);
    expect(vm('node setup').ok).toBe(true);
    expect(vm('bb.e2e.test').steps.find((x: { name: string }) => x.name === 'initial_setup').error).toBe(
      "chpasswd is not available in bb.e2e.test's root filesystem, so its passwords cannot be set",
    );
    expect(doc.connections).toEqual({ [NODE]: 1 });
    expect(r.stderr).toMatch(/^ovl\.e2e\.test {2}spawn {2}✔ done \d+\.\ds$/m);
    expect(r.stderr).toMatch(/^e2e-node \(node setup\) {2}bridge {2}✔ (done|already done)/m);
    expect(await readFile(doc.logFile, 'utf8')).toContain(
      '"argv":["lxc-copy","-n","lxcw-e2e-origin","-N","ovl.e2e.test","-B","overlayfs","-s"]',
    );
  }, 600_000);

  it('ready means logging in works: every printed way in, as printed, through the forward on a non-loopback address', async () => {
    // the first test's run just ended (its reachable step waited for sshd): the ways it printed
    const r = await runBin([...args, '--vm', 'ovl.e2e.test', '--vm', 'dirc.e2e.test'], { env });
    expect(r.code, r.stderr).toBe(0);
    const t0 = Date.now();
    const doc = JSON.parse(r.stdout);
    expect(sshd.host).not.toMatch(/^127\./);
    for (const vm of ['ovl.e2e.test', 'dirc.e2e.test']) {
      const ways: string[] = doc.vms.find((v: { name: string }) => v.name === vm).waysIn;
      const v = await settings(vm);
      expect(ways).toEqual([
        `ssh -F ${sshd.sshConfig} -i ${sshd.clientPub.replace(/\.pub$/, '')} -p ${v.ssh_reverse_proxy_port} root@${NODE}`,
        `ssh -F ${sshd.sshConfig} -i ${sshd.clientPub.replace(/\.pub$/, '')} -J lxcwe2e@${NODE} root@${v.ip}`,
      ]);
      for (const way of ways) expect(login(way, 'hostname').trim()).toBe(vm);
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
    // the text summary prints the same ways under each VM that answered (ping is not done: no salt master here)
    const text = await runBin(args.filter((a) => a !== '--json').concat(['--vm', 'ovl.e2e.test']), { env });
    expect(text.stdout).toContain(`ovl.e2e.test on ${NODE}: not done: ping skipped (no mastersalt command on this controller)`);
    expect(text.stdout).toContain(`  ssh -F ${sshd.sshConfig} -i ${sshd.clientPub.replace(/\.pub$/, '')} -p `);
  }, 300_000);

  it('after lxc-stop and lxc-start the VM answers ssh again within 10 s (its network is its own, not a DHCP wait)', async () => {
    const v = await settings('ovl.e2e.test');
    execFileSync('lxc-stop', ['-n', 'ovl.e2e.test']);
    execFileSync('lxc-start', ['-n', 'ovl.e2e.test']);
    const t0 = Date.now();
    const way = `ssh -F ${sshd.sshConfig} -i ${sshd.clientPub.replace(/\.pub$/, '')} -p ${v.ssh_reverse_proxy_port} root@${NODE}`;
    let answered = '';
    while (!answered && Date.now() - t0 < 10_000) {
      try {
        answered = login(way, 'hostname').trim();
      } catch {
        await new Promise((res) => setTimeout(res, 250));
      }
    }
    expect(answered).toBe('ovl.e2e.test');
    console.log(`ssh answered ${Date.now() - t0} ms after lxc-start`);
    // the guest's own network file: eth0 manual between markers, the origin's DHCP stanza off
    expect(lxc('ovl.e2e.test', 'cat', '/etc/network/interfaces')).toContain('#lxc-wizard-off# iface eth0 inet dhcp\n');
    expect(readFileSync(`/var/lib/lxc/${ORIGIN}/rootfs/etc/network/interfaces`, 'utf8')).not.toContain('lxc-wizard');
  }, 120_000);

  it("the forward catches only traffic addressed to the node: a VM reaching another VM's address on a forward port is not redirected", async () => {
    const dirc = await settings('dirc.e2e.test');
    const ovl = await settings('ovl.e2e.test');
    // from ovl to dirc's IP on ovl's own forward port: nothing listens there in dirc
    const probe = `exec 3<>/dev/tcp/${dirc.ip}/${ovl.ssh_reverse_proxy_port} && head -c 4 <&3`;
    expect(() => lxc('ovl.e2e.test', 'timeout', '5', 'bash', '-c', probe)).toThrow();
    // the node's own address on that port still reaches ovl's sshd
    expect(
      lxc('dirc.e2e.test', 'timeout', '5', 'bash', '-c', `exec 3<>/dev/tcp/${sshd.host}/${ovl.ssh_reverse_proxy_port} && head -c 4 <&3`),
    ).toBe('SSH-');
  });

  it('a busybox VM without salt: its address stays (udhcpc off), and it is "not done: reachable" with the reason', async () => {
    await writeFile(pillar, (await readFile(pillar, 'utf8')) + '  bbns.e2e.test:\n    profile_type: dir-scratch\n    image: busybox\n');
    const r = await runBin([...args.filter((a) => a !== '--json'), '--vm', 'bbns.e2e.test', '--no-salt'], { env });
    expect(r.code).toBe(1);
    const v = await settings('bbns.e2e.test');
    expect(lxc('bbns.e2e.test', 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain(`inet ${v.ip}/16`);
    expect(r.stdout).toMatch(
      new RegExp(
        `^bbns\\.e2e\\.test on ${NODE}: not done: reachable \\(no sshd answers on ${v.ip.replace(/\./g, '\\.')}:22 or ${NODE}:\\d+: no sshd in the image\\)$`,
        'm',
      ),
    );
    expect(r.stdout).not.toMatch(/bbns\.e2e\.test on .*: ready/);
    VMS.push('bbns.e2e.test');
  }, 300_000);

  it('a container made by hand under a VM name is refused at preflight, byte for byte untouched; --adopt takes it over', async () => {
    execFileSync('lxc-copy', ['-n', ORIGIN, '-N', 'hand.e2e.test', '-B', 'overlayfs', '-s']);
    const config = readFileSync('/var/lib/lxc/hand.e2e.test/config', 'utf8');
    await writeFile(pillar, (await readFile(pillar, 'utf8')) + '  hand.e2e.test:\n    profile_type: overlayfs\n');
    const refused = await runBin([...args, '--vm', 'hand.e2e.test'], { env });
    expect(refused.code).toBe(1);
    const step = JSON.parse(refused.stdout).vms.find((v: { name: string }) => v.name === 'hand.e2e.test').steps[0];
    expect(step).toMatchObject({ name: 'preflight', state: 'failed' });
    expect(step.error).toContain(`a container hand.e2e.test exists on ${NODE} and was not made by lxc-wizard`);
    expect(readFileSync('/var/lib/lxc/hand.e2e.test/config', 'utf8')).toBe(config);
    expect(execFileSync('lxc-info', ['-s', '-H', '-n', 'hand.e2e.test'], { encoding: 'utf8' }).trim()).toBe('STOPPED');
    // destroy does not remove it either: it is not the tool's
    const d = await runBin(['destroy', 'hand.e2e.test', '--pillar', pillar, '--yes', '--ssh-config', sshd.sshConfig, '--master-pki', pki], {
      env,
    });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`a container hand.e2e.test exists on ${NODE} and was not made by lxc-wizard; nothing was destroyed`);
    expect(readFileSync('/var/lib/lxc/hand.e2e.test/config', 'utf8')).toBe(config);
    const adopted = await runBin([...args, '--vm', 'hand.e2e.test', '--adopt'], { env });
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(readFileSync('/var/lib/lxc/hand.e2e.test/config', 'utf8')).toContain('# lxc-wizard.owner = hand.e2e.test\n');
    const way = JSON.parse(adopted.stdout).vms.find((v: { name: string }) => v.name === 'hand.e2e.test').waysIn[0];
    expect(login(way, 'hostname').trim()).toBe('hand.e2e.test');
    VMS.push('hand.e2e.test');
  }, 300_000);

  it('left each clone with the settings, checked from inside', async () => {
    const originHash = (await readFile(`/var/lib/lxc/${ORIGIN}/rootfs/etc/shadow`, 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('root:'))!
      .split(':')[1];
    const hosts = await readFile('/etc/hosts', 'utf8');
    const key = (await readFile(sshd.clientPub, 'utf8')).trim();
    for (const [name, prefix, args] of [
      ['ovl.e2e.test', 'mastersalt', '-C --from-salt-cloud --mastersalt-minion -b master'],
      ['dirc.e2e.test', 'salt', '-C --from-salt-cloud -no-M -b master'],
    ] as const) {
      const v = await settings(name);
      expect(lxc(name, 'ip', '-4', '-o', 'addr', 'show', 'eth0')).toContain(`inet ${v.ip}/16`);
      expect(lxc(name, 'cat', '/sys/class/net/eth0/address').trim()).toBe(v.mac);
      expect(lxc(name, 'ip', 'route', 'show', 'default')).toContain(`default via ${v.gateway}`);
      expect(lxc(name, 'cat', '/etc/hosts')).toContain(
        `#-- start lxc dns ${name}:: DO NOT EDIT --\n${NET.gateway} ${NODE} ${name}\n#-- end lxc dns ${name}:: DO NOT EDIT --`,
      );
      expect(hosts).toContain(`#-- start virt dns ${name}:: DO NOT EDIT --\n${v.ip} ${name}\n#-- end virt dns ${name}:: DO NOT EDIT --`);
      expect(lxc(name, 'cat', '/root/.ssh/authorized_keys')).toContain(key);
      expect(lxc(name, 'stat', '-c', '%a', '/root/.ssh', '/root/.ssh/authorized_keys')).toBe('700\n600\n');
      expect(lxc(name, 'cat', `/etc/${prefix}/makina-states/cloud.yaml`)).toBe(
        'makina-states.cloud.is.vm: true\nmakina-states.cloud.is.lxcvm: true\n',
      );
      expect(lxc(name, 'cat', `/etc/${prefix}/makina-states/nodetypes.yaml`)).toBe('makina-states.nodetypes.lxccontainer: true\n');
      const hash = lxc(name, 'sh', '-c', 'grep "^root:" /etc/shadow | cut -d: -f2').trim();
      expect(hash).not.toBe(originHash);
      expect(lxc(name, 'perl', '-e', 'print crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? "match" : "differ"', v.password, hash)).toBe('match');
      // the minion key salt-cloud would have made: accepted on the test master, its halves in /tmp/.saltcloud
      const accepted = await readFile(join(pki, 'minions', name), 'utf8');
      expect(accepted).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      const pub = createHash('md5').update(accepted).digest('hex').slice(0, 8);
      const minion = `minion: id: ${name}\nminion: master: ${NET.gateway.replace(/\./g, '\\.')}\nminion: master_port: ${prefix === 'salt' ? 4506 : 4606}\n`;
      const keys = `found: minion\\.pem 600 [0-9a-f]{8}\nfound: minion\\.pub 644 ${pub}\n`;
      expect(lxc(name, 'cat', '/var/log/boot-salt-stand-in.calls')).toMatch(
        new RegExp(`^called: ${args.replace(/[-.]/g, '\\$&')}\n${minion}${keys}called: --initial-highstate\n${minion}${keys}$`),
      );
      // the private half left the controller once it was in the VM
      expect(existsSync(join(s.dir, 'cloud-controller/lxc-wizard/minion-keys', name))).toBe(false);
      expect(lxc(name, 'cat', '/etc/makina-states/initial_highstate')).toBe('1\n');
      expect(lxc(name, 'test', '-e', '/.initialspasses')).toBe('');
    }
    expect(execFileSync('lxc-info', ['-s', '-H', '-n', 'bb.e2e.test'], { encoding: 'utf8' }).trim()).toBe('RUNNING');
  });

  it('a second run reports every finished step already done', async () => {
    const r = await runBin(args, { env });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    for (const v of doc.vms.filter((x: { name: string }) => ['ovl.e2e.test', 'dirc.e2e.test', 'hand.e2e.test'].includes(x.name))) {
      expect(v.steps.map((x: { state: string; reason?: string }) => `${x.state}${x.reason ? ':' + x.reason : ''}`)).toEqual([
        'done',
        ...Array(7).fill('already-done'),
        `skipped:no ${v.name === 'dirc.e2e.test' ? 'salt' : 'mastersalt'} command on this controller`,
        'already-done',
      ]);
    }
    expect(
      doc.vms.find((x: { name: string }) => x.name === 'node setup').steps.every((x: { state: string }) => x.state === 'already-done'),
    ).toBe(true);
    const bb = doc.vms.find((x: { name: string }) => x.name === 'bb.e2e.test');
    expect(bb.steps.slice(1, 6).every((x: { state: string }) => x.state === 'already-done')).toBe(true);
    expect(bb.steps.find((x: { name: string }) => x.name === 'initial_setup').state).toBe('failed');
  }, 300_000);

  it('Ctrl-C cancels the running command on the node, records the step interrupted and exits 130', async () => {
    const slow = await s.file('slow-stand-in.sh', '#!/bin/sh\n# STAND-IN for boot-salt.sh that hangs\nexec sleep 600\n');
    await writeFile(pillar, (await readFile(pillar, 'utf8')) + '  slow.e2e.test:\n    profile_type: overlayfs\n');
    const argv = [BIN, ...args.map((a) => (a === STAND_IN ? slow : a)), '--vm', 'slow.e2e.test'];
    const child = spawn(process.execPath, argv, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (d) => ((stderr += d), stderr.includes('boot-salt.sh -C') && resolve()));
      child.on('exit', () => resolve());
    });
    await started;
    expect(child.exitCode, `the run ended before the bootstrap started:\n${stderr}`).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    expect(lxc('slow.e2e.test', 'ps', 'ax')).toContain('sleep 600');
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(lxc('slow.e2e.test', 'ps', 'ax')).not.toContain('sleep 600');
    const doc = JSON.parse(stdout);
    expect(
      doc.vms.find((x: { name: string }) => x.name === 'slow.e2e.test').steps.find((x: { name: string }) => x.name === 'initial_setup'),
    ).toMatchObject({ state: 'interrupted' });
    const ledger = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/ledger', `${NODE}.json`), 'utf8'));
    expect(ledger.vms['slow.e2e.test'].initial_setup.state).toBe('interrupted');
    VMS.push('slow.e2e.test');
  }, 300_000);

  it('destroy leaves nothing behind', async () => {
    for (const vm of VMS) {
      const r = await runBin(
        ['destroy', vm, '--pillar', pillar, '--forget', '--yes', '--ssh-config', sshd.sshConfig, '--master-pki', pki],
        { env },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`destroyed container ${vm} on ${NODE}`);
    }
    expect(containerNames().filter((n) => VMS.includes(n))).toEqual([]);
    expect(await readFile('/etc/hosts', 'utf8')).not.toContain('e2e.test');
    const state = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/nodes', `${NODE}.json`), 'utf8'));
    expect(state.vms).toEqual({});
    const ledger = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/ledger', `${NODE}.json`), 'utf8'));
    expect(ledger.vms).toEqual({});
    const text = await readFile(pillar, 'utf8');
    expect(text).toContain('# end-to-end fleet\n');
    for (const vm of VMS) expect(text).not.toContain(vm);
    // the forwards and the accepted keys went with the VMs
    expect(execFileSync('nft', ['list', 'table', 'ip', TEST_NET.table], { encoding: 'utf8' })).not.toContain('e2e.test');
    for (const vm of VMS) expect(existsSync(`${TEST_NET.forwards}/${vm}`)).toBe(false);
    expect(await readdir(join(pki, 'minions'))).toEqual([]);
    // the other installation on this node: its table and forward as they were
    expect(otherState()).toBe(otherBefore);
  }, 300_000);
});
