import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeNode } from '../../test/helpers/fake-node.js';
import { runWith, states, vmsFrom } from '../../test/helpers/run.js';
import { NET, netScript, netUnit, SYSCTL_CONF } from './node-net.js';
import type { NodeSetupSpec } from './node-setup.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ctl@example.net';
const spec = (o: Partial<NodeSetupSpec> = {}): NodeSetupSpec => ({
  bridge: 'lxcbr1',
  gateway: '10.5.0.1',
  netmask: 16,
  network: '10.5.0.0',
  useBridge: true,
  registryDir: '/etc/mastersalt/makina-states',
  origins: ['base-origin'],
  originTemplate: { template: 'debian', release: 'bookworm' },
  sshPublicKeys: [KEY],
  ...o,
});
const setup = (s: NodeSetupSpec) => ({ setup: new Map([['cn', s]]) });

describe('node setup (the seed install_vt) on a bare node', () => {
  it('makes everything, says so, and a second run finds everything in place', async () => {
    const node = new FakeNode('cn', { setUp: false, bridges: [], origins: [] });
    node.net.lxc = false;
    const first = await runWith([], { cn: node }, setup(spec()));
    expect(states(first.results[0]!)).toEqual({
      node_sshkeys: 'done',
      lxc: 'done',
      bridge: 'done',
      forwarding: 'done',
      masquerade: 'done',
      registry: 'done',
      origin: 'done',
    });
    expect(node.files.get('/root/.ssh/authorized_keys')).toBe(`${KEY}\n`);
    expect(node.files.get(NET.script)).toBe(netScript(NET));
    expect(node.files.get(NET.unit)).toBe(netUnit(NET));
    expect(node.files.get(NET.sysctl)).toBe(SYSCTL_CONF);
    expect(node.files.get(`${NET.bridges}/lxcbr1`)).toBe('# Made by lxc-wizard node setup\naddress=10.5.0.1/16\nnetwork=10.5.0.0/16\n');
    expect(node.net.nft).toContain('ip saddr 10.5.0.0/16 ip daddr != 10.5.0.0/16 masquerade comment "lxcw net lxcbr1"');
    expect(node.files.get('/etc/mastersalt/makina-states/cloud.yaml')).toBe(
      'makina-states.cloud.is.lxchost: true\nmakina-states.cloud.is.compute_node: true\n',
    );
    expect(node.files.get('/etc/mastersalt/makina-states/services.yaml')).toBe('makina-states.services.virt.lxc: true\n');
    expect(node.log.some((c) => c.argv.join(' ') === 'lxc-create -n base-origin -t debian -- -r bookworm')).toBe(true);
    expect(node.containers.get('base-origin')!.state).toBe('STOPPED');
    const before = node.log.length;
    const second = await runWith([], { cn: node }, setup(spec()));
    expect(Object.values(states(second.results[0]!))).toEqual(Array(7).fill('already-done'));
    // the second run only read: the facts and the state, one round trip each
    expect(node.log.slice(before).map((c) => c.argv[0])).toEqual(['sh', 'sh']);
  });

  it("on the node localhost (the controller itself) the controller's key is not added: nothing logs in to it over SSH", async () => {
    const node = new FakeNode('localhost', { setUp: false });
    const r = await runWith([], { localhost: node }, { setup: new Map([['localhost', spec()]]) });
    expect(r.results[0]!.steps[0]).toMatchObject({
      name: 'node_sshkeys',
      state: 'skipped',
      reason: 'the node is this controller: nothing logs in to it over SSH',
    });
    expect(node.files.has('/root/.ssh/authorized_keys')).toBe(false);
  });

  it('makes every bridge the VMs name, each with its network, and masquerades each', async () => {
    const node = new FakeNode('cn', { setUp: false, bridges: [] });
    const extra = { bridge: 'br2', gateway: '10.6.0.1', netmask: 24, network: '10.6.0.0' };
    const r = await runWith([], { cn: node }, setup(spec({ extraBridges: [extra] })));
    expect(states(r.results[0]!)).toMatchObject({ bridge: 'done', masquerade: 'done' });
    expect(node.net.addrs.get('br2')).toBe('10.6.0.1/24');
    expect(node.files.get(`${NET.bridges}/br2`)).toBe('# Made by lxc-wizard node setup\naddress=10.6.0.1/24\nnetwork=10.6.0.0/24\n');
    expect(node.net.nft).toContain('ip saddr 10.6.0.0/24 ip daddr != 10.6.0.0/24 masquerade comment "lxcw net br2"');
    const again = await runWith([], { cn: node }, setup(spec({ extraBridges: [extra] })));
    expect(states(again.results[0]!)).toMatchObject({ bridge: 'already-done', masquerade: 'already-done' });
  });

  it('refuses a node that is not Debian or Ubuntu, naming what to install by hand', async () => {
    const node = new FakeNode('cn', { setUp: false });
    node.net.lxc = false;
    node.net.os = 'fedora|';
    const r = await runWith([], { cn: node }, setup(spec()));
    expect(r.results[0]!.steps.find((s) => s.name === 'lxc')).toMatchObject({
      state: 'failed',
      error: 'cn runs Fake, and lxc-wizard installs packages on Debian and Ubuntu only',
      hint: expect.stringContaining('install by hand: lxc'),
    });
  });

  it('refuses a running origin and never stops it', async () => {
    const node = new FakeNode('cn', { origins: ['base-origin'] });
    node.containers.get('base-origin')!.state = 'RUNNING';
    const r = await runWith([], { cn: node }, setup(spec()));
    expect(r.results[0]!.steps.find((s) => s.name === 'origin')).toMatchObject({
      state: 'failed',
      error: expect.stringContaining(
        'base-origin is running on cn; a clone needs it stopped, and lxc-wizard never stops a container behind your back',
      ),
    });
    expect(node.log.some((c) => c.argv[0] === 'lxc-stop')).toBe(false);
    expect(node.containers.get('base-origin')!.state).toBe('RUNNING');
  });

  it("copies a missing origin from the controller's own, as a stream over the node's connection", async () => {
    const node = new FakeNode('cn', { origins: [] });
    const s = spec({
      originTemplate: undefined,
      originSource: async (name) => ({
        what: `the controller's /var/lib/lxc/${name}`,
        lxcPath: '/var/lib/lxc',
        stream: () => Readable.from(['tar bytes']),
      }),
    });
    const r = await runWith([], { cn: node }, { ...setup(s) });
    expect(states(r.results[0]!).origin).toBe('done');
    const copy = node.log.find((c) => c.argv[2]?.includes('tar -C "$d.lxcw-tmp"'))!;
    expect(copy.argv.slice(4)).toEqual(['/var/lib/lxc', 'base-origin', '/var/lib/lxc']);
    expect(node.containers.has('base-origin')).toBe(true);
    // without a copy and without a template: a clear refusal
    const bare = new FakeNode('cn', { origins: [] });
    const r2 = await runWith([], { cn: bare }, setup(spec({ originTemplate: undefined })));
    expect(r2.results[0]!.steps.find((x) => x.name === 'origin')).toMatchObject({
      state: 'failed',
      hint: expect.stringContaining('--origin-template debian'),
    });
  });

  it('a dry run prints the commands and changes nothing', async () => {
    const node = new FakeNode('cn', { setUp: false, bridges: [], origins: [] });
    const r = await runWith([], { cn: node }, { ...setup(spec()), dryRun: true });
    expect(r.results[0]!.ok).toBe(true);
    const planned = r.events
      .filter((e) => e.type === 'command' && e.dryRun)
      .map((e) => (e as { argv: string[] }).argv.slice(0, 2).join(' '));
    expect(planned).toEqual(expect.arrayContaining(['sysctl -q', 'lxc-create -n']));
    expect(node.log.every((c) => c.argv[0] === 'sh')).toBe(true);
    expect(node.files.has(NET.script)).toBe(false);
  });
});

describe('the reverse_proxy step', () => {
  it('forwards <node>:<port> to the VM ssh; a node without node setup is refused in preflight, before spawn changes anything', async () => {
    const vms = vmsFrom(
      `makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: dir, ip: 10.5.3.4, ssh_reverse_proxy_port: 40007}\n`,
    );
    const bare = new FakeNode('cn', { setUp: false });
    const r = await runWith(vms, { cn: bare }, { only: ['spawn', 'reverse_proxy'] });
    expect(r.results[0]!.steps[0]).toMatchObject({
      name: 'preflight',
      state: 'failed',
      error: 'node setup has not run on cn (no /usr/local/sbin/lxc-wizard-net): nothing would forward 40007 to v.example.com',
      hint: expect.stringContaining('lxc-wizard node setup cn'),
    });
    expect(bare.containers.has('v.example.com')).toBe(false);
    // a run that leaves the forward out does not need node setup (the demo's --only spawn,…)
    const without = await runWith(vms, { cn: bare }, { only: ['spawn'] });
    expect(states(without.results[0]!)).toMatchObject({ preflight: 'done', spawn: 'done' });
    const node = new FakeNode('cn');
    const ok = await runWith(vms, { cn: node }, { only: ['spawn', 'reverse_proxy'] });
    expect(states(ok.results[0]!).reverse_proxy).toBe('done');
    expect(node.files.get(`${NET.forwards}/v.example.com`)).toContain('port=40007\nto=10.5.3.4:22\n');
    expect(node.net.nft).toContain('tcp dport 40007 dnat to 10.5.3.4:22 comment "lxcw vm v.example.com"');
    const again = await runWith(vms, { cn: node }, { only: ['spawn', 'reverse_proxy'] });
    expect(states(again.results[0]!).reverse_proxy).toBe('already-done');
  });
});
