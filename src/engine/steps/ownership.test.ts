import { describe, expect, it } from 'vitest';
import { FakeNode } from '../../../test/helpers/fake-node.js';
import { FACTS_SCRIPT } from '../node-session.js';
import { runWith, states, vmsFrom } from '../../../test/helpers/run.js';

const PILLAR = `makina-states.cloud.lxc.vms.cn1.example.net:
  web.example.com: {profile_type: overlayfs}
`;

/** A container made by hand with lxc-create, under the name a new entry then uses. */
function handMade(node: FakeNode, name: string): string {
  const config = 'lxc.net.0.type = veth\nlxc.net.0.link = br-ops\nlxc.net.0.hwaddr = 00:16:3e:aa:bb:cc\nlxc.uts.name = ' + name + '\n';
  node.containers.set(name, { state: 'RUNNING', files: new Map(), users: ['root'], hasChpasswd: true, bins: new Set() });
  node.files.set(`/var/lib/lxc/${name}/config`, config);
  return config;
}

describe('touch only what the tool made', () => {
  it('refuses a container of the VM name it did not make, at preflight: its config is byte-identical, nothing else ran', async () => {
    const node = new FakeNode('cn1.example.net');
    const config = handMade(node, 'web.example.com');
    const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node });
    const r = results[0]!;
    expect(r.steps[0]).toMatchObject({ name: 'preflight', state: 'failed' });
    expect(r.steps[0]!.error).toBe(
      'a container web.example.com exists on cn1.example.net and was not made by lxc-wizard; nothing was changed',
    );
    expect(r.steps[0]!.hint).toMatch(/^pick another name, or run again with --adopt to take it over/);
    expect(node.files.get('/var/lib/lxc/web.example.com/config')).toBe(config);
    expect(node.containers.get('web.example.com')!.state).toBe('RUNNING');
    expect(node.log.filter((c) => ['lxc-stop', 'lxc-start', 'lxc-copy'].includes(c.argv[0]!))).toEqual([]);
  });

  it('a copy of a VM carries its mark, which names the VM: the copy is not taken for the VM either', async () => {
    const node = new FakeNode('cn1.example.net');
    handMade(node, 'web.example.com');
    node.files.set('/var/lib/lxc/web.example.com/config', '# lxc-wizard.owner = other.example.com\nlxc.net.0.link = br-ops\n');
    const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node });
    expect(results[0]!.steps[0]!.error).toMatch(/its mark names other\.example\.com: a copy of it/);
  });

  it('--adopt takes it over: marked, configured, restarted, provisioned; the next run needs no --adopt', async () => {
    const node = new FakeNode('cn1.example.net');
    handMade(node, 'web.example.com');
    node.containers.get('web.example.com')!.bins.add('usr/sbin/sshd');
    const vms = vmsFrom(PILLAR, 'dev');
    const first = await runWith(vms, { 'cn1.example.net': node }, { adopt: true });
    expect(states(first.results[0]!)).toMatchObject({ preflight: 'done', spawn: 'done', reachable: 'done' });
    const config = node.files.get('/var/lib/lxc/web.example.com/config')!;
    expect(config).toContain('# lxc-wizard.owner = web.example.com\n');
    expect(config).toContain(`lxc.net.0.link = ${vms[0]!.bridge}\n`);
    expect(node.log.some((c) => c.argv[0] === 'lxc-copy')).toBe(false);
    const second = await runWith(vms, { 'cn1.example.net': node });
    expect(states(second.results[0]!)).toMatchObject({ preflight: 'done', spawn: 'already-done', reachable: 'already-done' });
  });
});

describe("the guest's network and reachability", () => {
  it('a clone of a Debian origin gets eth0 manual in its rootfs before its first start, and the mark says how', async () => {
    const node = new FakeNode('cn1.example.net');
    const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node });
    expect(states(results[0]!).reachable).toBe('done');
    const vm = node.containers.get('web.example.com')!;
    expect(vm.files.get('/etc/network/interfaces')).toContain('#lxc-wizard-off# iface eth0 inet dhcp\n');
    expect(vm.files.get('/etc/network/interfaces')).toContain('iface eth0 inet manual\n');
    // the origin's own file is untouched
    expect(node.containers.get('makina-states-precise')!.files.get('/etc/network/interfaces')).toContain('\niface eth0 inet dhcp\n');
    expect(node.files.get('/var/lib/lxc/web.example.com/config')).toContain('# lxc-wizard.guest_net = ifupdown\n');
    const names = node.log.map((c) => (c.argv[2]?.startsWith('set -u\nop=$1') ? `guest-${c.argv[4]}` : c.argv[0]));
    expect(names.indexOf('guest-write')).toBeGreaterThan(-1);
    expect(names.indexOf('guest-write')).toBeLessThan(names.indexOf('lxc-start'));
  });

  it('a busybox VM without salt ends "not done: reachable", with the reason seen inside it; never "ready"', async () => {
    const node = new FakeNode('cn1.example.net');
    const vms = vmsFrom(
      `makina-states.cloud.lxc.vms.cn1.example.net:\n  bb.example.com: {profile_type: dir-scratch, image: busybox}\n`,
      'dev',
    );
    const { results } = await runWith(vms, { 'cn1.example.net': node }, { noSalt: true });
    const r = results[0]!;
    expect(states(r)).toMatchObject({ spawn: 'done', initial_setup: 'skipped', reachable: 'failed' });
    expect(node.containers.get('bb.example.com')!.files.get('/etc/init.d/rcS')).toContain('#lxc-wizard-off# /bin/udhcpc');
    const reach = r.steps.find((x) => x.name === 'reachable')!;
    expect(reach.error).toMatch(/^no sshd answers on 10\.5\.0\.\d+:22 or cn1\.example\.net:\d+: no sshd in the image$/);
    expect(reach.hint).toMatch(/^use an image with openssh-server/);
    expect(r.steps.find((x) => x.name === 'initial_setup')!.reason).toBe('no chpasswd in the image: the password shown is not set');
    expect(r.ok).toBe(false);
  });

  it('--only a part of the work still ends with the reachability check: no "ready" without it', async () => {
    const node = new FakeNode('cn1.example.net');
    node.unreachable = true;
    const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node }, { only: ['spawn'] });
    expect(results[0]!.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['preflight:done', 'spawn:done', 'reachable:failed']);
  });
});

describe('preflight refuses what it can see, before anything changes', () => {
  it('a template the node does not have: named, with the templates it has; no container is made', async () => {
    const node = new FakeNode('cn1.example.net');
    const vms = vmsFrom(
      `makina-states.cloud.lxc.vms.cn1.example.net:\n  t.example.com: {profile_type: dir-scratch, image: busyboxx}\n`,
      'dev',
    );
    const { results } = await runWith(vms, { 'cn1.example.net': node });
    expect(results[0]!.steps[0]).toMatchObject({
      state: 'failed',
      error: 'LXC template busyboxx is not on cn1.example.net (no /usr/share/lxc/templates/lxc-busyboxx)',
      hint: 'templates there: busybox, debian, download, ubuntu (set image:)',
    });
    expect(node.containers.has('t.example.com')).toBe(false);
    expect(node.log.some((c) => c.argv[0] === 'lxc-create')).toBe(false);
  });

  it('a missing master pki: refused in preflight (it used to be found by spawn, after lxc-copy made the container)', async () => {
    const node = new FakeNode('cn1.example.net');
    const controller = {
      pkiDir: () => '/nonexistent/pki',
      pkiProblem: () => ({
        message: 'there is no salt master pki at /nonexistent/pki on this controller (no /nonexistent/pki/minions)',
        hint: 'pass --master-pki DIR',
      }),
      keyAccepted: async () => false,
      minionKeys: async () => undefined,
      prepareMinionKey: () => undefined,
      keysDelivered: async () => undefined,
      bootstrapScript: () => undefined,
      saltCommand: async () => undefined,
      ping: async () => ({ ok: false, output: '' }),
    };
    const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node }, { controller });
    expect(results[0]!.steps[0]).toMatchObject({ state: 'failed', hint: 'pass --master-pki DIR' });
    expect(node.containers.has('web.example.com')).toBe(false);
    // --no-salt needs no master
    const again = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node }, { controller, noSalt: true });
    expect(again.results[0]!.steps[0]!.state).toBe('done');
  });
});

describe('a node that does not answer is said as such', () => {
  it('a channel cut before the facts, or a node silent past the deadline, is not "LXC is not installed"', async () => {
    for (const [result, said] of [
      [
        { code: 255, signal: null, stdout: '', stderr: 'Connection closed\n', durationMs: 1, timedOut: false },
        /closed before its facts were read \(exit 255: Connection closed\)/,
      ],
      [{ code: 124, signal: null, stdout: '', stderr: '', durationMs: 60_000, timedOut: true }, /did not answer within 60 s/],
    ] as const) {
      const node = new FakeNode('cn1.example.net');
      node.failOn = { match: (a) => a.includes(FACTS_SCRIPT) || a.some((x) => x.includes('@lxcpath')), error: { ...result } };
      const { results } = await runWith(vmsFrom(PILLAR, 'dev'), { 'cn1.example.net': node });
      expect(results[0]!.steps[0]!.error).toMatch(said);
      expect(results[0]!.steps[0]!.error).not.toMatch(/LXC is not installed/);
    }
  });
});
