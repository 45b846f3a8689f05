import { describe, expect, it } from 'vitest';
import { FACTS_SCRIPT, NodeSession } from './node-session.js';
import type { Transport } from './transport.js';
import { FakeNode } from '../../test/helpers/fake-node.js';
import { memoryLedger, runWith, states, vmsFrom } from '../../test/helpers/run.js';

const PILLAR = `makina-states.cloud.lxc.vms.cn1.example.net:
  web.example.com: {profile_type: overlayfs}
  db.example.com: {profile_type: dir}
  bb.example.com: {profile_type: dir-scratch, image: busybox}
`;
const ALL_DONE = {
  preflight: 'done',
  spawn: 'done',
  reverse_proxy: 'done',
  hostsfile: 'done',
  sshkeys: 'done',
  grains: 'done',
  initial_setup: 'done',
  initial_highstate: 'done',
  // no ControllerSide in these runs: no salt command to ping with
  ping: 'skipped',
  // the wait for the VM's sshd after the steps (the fake node's answers at once)
  reachable: 'done',
};

describe('a provisioning run against a (fake) compute node', () => {
  it('runs the six steps, fails only the busybox VM at initial_setup, and a second run skips what is done', async () => {
    const node = new FakeNode('cn1.example.net');
    const vms = vmsFrom(PILLAR, 'dev');
    const ledger = memoryLedger();
    const first = await runWith(vms, { 'cn1.example.net': node }, { ledger });
    const byName = Object.fromEntries(first.results.map((r) => [r.name, r]));
    expect(states(byName['web.example.com']!)).toEqual(ALL_DONE);
    expect(states(byName['db.example.com']!)).toEqual(ALL_DONE);
    expect(states(byName['bb.example.com']!)).toEqual({
      ...ALL_DONE,
      initial_setup: 'failed',
      initial_highstate: 'not-run',
      ping: 'not-run',
      reachable: 'not-run',
    });
    expect(byName['bb.example.com']!.steps.find((s) => s.name === 'initial_setup')!.error).toContain('chpasswd is not available');
    const web = node.containers.get('web.example.com')!;
    expect(web.state).toBe('RUNNING');
    expect(web.files.get('/etc/makina-states/initial_highstate')).toBe('1\n');
    expect(web.passwords).toEqual([
      'root:' + vms.find((v) => v.name === 'web.example.com')!.password,
      'ubuntu:' + vms.find((v) => v.name === 'web.example.com')!.password,
    ]);
    expect(web.files.get('/var/log/boot-salt-stand-in.calls')).toBe(
      '-C --from-salt-cloud --mastersalt-minion -b master\n--initial-highstate\n',
    );
    expect(node.files.get('/var/lib/lxc/web.example.com/config')).toContain(
      `lxc.net.0.ipv4.address = ${vms.find((v) => v.name === 'web.example.com')!.ip}/16`,
    );
    expect(ledger.data['bb.example.com@cn1.example.net']).toMatchObject({ spawn: 'done', initial_setup: 'failed' });

    const commands = node.log.length;
    const trips = node.roundTrips;
    const second = await runWith(vms, { 'cn1.example.net': node }, { ledger });
    // a re-run that finds everything in place: one read per VM, the node's facts with the first
    // (the busybox VM, failed at initial_setup, tries it again: one more)
    expect(node.roundTrips - trips).toBe(vms.length + 1);
    for (const r of second.results.filter((x) => x.name !== 'bb.example.com')) {
      expect(states(r)).toEqual({
        ...Object.fromEntries(Object.keys(ALL_DONE).map((k) => [k, 'already-done'])),
        preflight: 'done',
        ping: 'skipped',
      });
    }
    const isRead = (a: string[]) =>
      a.includes(FACTS_SCRIPT) ||
      a.some(
        (x) =>
          x.startsWith('if [ -e "$1" ]; then cat') ||
          x.startsWith('for p in "$@"') ||
          x.startsWith('t=$1; c=$2; shift 2') ||
          x.startsWith('case "$(lxc-info -n "$1" -s') ||
          x.startsWith('ip=$1; fwd=$2; secs=$3') ||
          x.startsWith('[ -x "$1" ] && echo "@script"'),
      );
    const changes = node.log.slice(commands).filter((c) => !isRead(c.argv));
    // Only the busybox VM's failing step touches anything again.
    expect(changes.filter((c) => !c.argv.includes('bb.example.com')).map((c) => c.argv.join(' ').slice(0, 120))).toEqual([]);
  });

  it('records a dropped connection as a failed step, other VMs go on, and a re-run starts where it failed', async () => {
    const node = new FakeNode('cn1.example.net');
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name !== 'bb.example.com');
    node.failOn = {
      match: (a) => a[0] === 'lxc-start' && a.includes('web.example.com'),
      error: node.drop('the SSH connection to compute node cn1.example.net was lost'),
    };
    const ledger = memoryLedger();
    const first = await runWith(vms, { 'cn1.example.net': node }, { ledger });
    const web = first.results.find((r) => r.name === 'web.example.com')!;
    expect(states(web)).toMatchObject({ preflight: 'done', spawn: 'failed', hostsfile: 'not-run' });
    expect(web.steps[1]).toMatchObject({
      error: 'the SSH connection to compute node cn1.example.net was lost',
      hint: 'run the same command again: finished steps are skipped',
    });
    expect(first.results.find((r) => r.name === 'db.example.com')!.ok).toBe(true);
    expect(ledger.data['web.example.com@cn1.example.net']).toEqual({ preflight: 'done', spawn: 'failed' });

    const second = await runWith(vms, { 'cn1.example.net': node }, { ledger });
    expect(states(second.results.find((r) => r.name === 'web.example.com')!)).toEqual(ALL_DONE);
    expect(node.log.filter((c) => c.argv[0] === 'lxc-copy' && c.argv.includes('web.example.com'))).toHaveLength(1);
  });

  it('reports a stalled command that hit its timeout as a failure of that step', async () => {
    const node = new FakeNode('cn1.example.net');
    node.failOn = {
      match: (a) => a.some((x) => x.includes('/tmp/.saltcloud/minion')),
      error: { code: 124, signal: null, stdout: '', stderr: '', durationMs: 3600_000, timedOut: true },
    };
    const [web] = (
      await runWith(
        vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com'),
        { 'cn1.example.net': node },
      )
    ).results;
    expect(web!.steps.find((s) => s.name === 'initial_setup')).toMatchObject({
      state: 'failed',
      error: 'the salt bootstrap (boot-salt.sh) failed in web.example.com: timed out',
    });
    expect(node.containers.get('web.example.com')!.files.has('/etc/makina-states/lxc-wizard-bootsalt')).toBe(false);
  });

  it('fails the salt parts with a message naming --bootsalt-script, or skips them with --no-salt', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const without = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { bootsaltScript: undefined });
    expect(without.results[0]!.steps.find((s) => s.name === 'initial_setup')).toMatchObject({
      state: 'failed',
      hint: expect.stringContaining('--bootsalt-script'),
    });
    const noSalt = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { bootsaltScript: undefined, noSalt: true });
    expect(noSalt.results[0]!.ok).toBe(true);
    expect(noSalt.results[0]!.steps.find((s) => s.name === 'initial_highstate')).toMatchObject({
      state: 'skipped',
      reason: '--no-salt',
    });
  });

  it('refuses in preflight what would fail later: missing bridge, origin, volume group, running origin, taken IP', async () => {
    const vms = vmsFrom(
      `makina-states.cloud.lxc.vms.cn:\n  a.example.com: {profile_type: lvm}\n  b.example.com: {profile_type: overlayfs, from_container: nope}\n  c.example.com: {profile_type: dir-scratch, bridge: br9}\n  d.example.com: {profile_type: dir-scratch, ip: 10.5.0.77}\n`,
    );
    const node = new FakeNode('cn');
    node.containers.set('other', { state: 'RUNNING', files: new Map(), users: [], hasChpasswd: true, bins: new Set() });
    node.files.set('/var/lib/lxc/other/config', 'lxc.net.0.ipv4.address = 10.5.0.77/16\n');
    const { results } = await runWith(vms, { cn: node });
    const err = (vm: string) => results.find((r) => r.name === vm)!.steps[0]!.error;
    expect(err('a.example.com')).toBe('volume group lxc does not exist on cn');
    expect(err('b.example.com')).toBe('origin container nope does not exist on cn');
    expect(err('c.example.com')).toBe('bridge br9 does not exist on cn');
    expect(err('d.example.com')).toBe('IP 10.5.0.77 is already used by container other on cn');
    // what node setup makes, the hint names it
    const hint = (vm: string) => results.find((r) => r.name === vm)!.steps[0]!.hint;
    expect(hint('b.example.com')).toMatch(/^lxc-wizard node setup cn --pillar \S+ --yes copies it .*--setup-nodes/);
    expect(hint('c.example.com')).toMatch(/^lxc-wizard node setup cn --pillar \S+ --yes makes it with 10\.5\.0\.1\/16/);
    expect(node.log.some((c) => c.argv[0]?.startsWith('lxc-c'))).toBe(false);
  });

  it('writes each step record while the next step runs, as they end, all before the run ends; a record that fails fails the VM', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const ledger = memoryLedger();
    const order: string[] = [];
    let writing = 0;
    let overlapped = false;
    const record = ledger.record.bind(ledger);
    ledger.record = async (node, vm, step, state) => {
      writing++;
      await new Promise((r) => setTimeout(r, 20)); // a slow disk
      order.push(step);
      writing--;
      return record(node, vm, step, state);
    };
    const node = new FakeNode('cn1.example.net');
    const exec = node.exec.bind(node);
    node.exec = (argv, o) => ((overlapped ||= writing > 0), exec(argv, o));
    const { results } = await runWith(vms, { 'cn1.example.net': node }, { ledger });
    expect(states(results[0]!)).toEqual(ALL_DONE);
    // as the steps end: those sent at once in the order they finished, the others in theirs
    expect(order.slice(0, 2)).toEqual(['preflight', 'spawn']);
    expect(order.slice(2, 6).sort()).toEqual(['grains', 'hostsfile', 'reverse_proxy', 'sshkeys']);
    expect(order.slice(6)).toEqual(['initial_setup', 'initial_highstate', 'ping', 'reachable']);
    expect(ledger.data['web.example.com@cn1.example.net']).toEqual({ ...ALL_DONE, ping: 'skipped' });
    expect(overlapped).toBe(true);

    const broken = memoryLedger();
    broken.record = async (_n, _v, step) => {
      if (step === 'spawn') throw new Error('ENOSPC: no space left on device, write');
    };
    const again = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { ledger: broken });
    const failed = again.results[0]!.steps.find((s) => s.state === 'failed');
    expect(failed?.error).toMatch(/could not be recorded: ENOSPC/);
    expect(again.results[0]!.ok).toBe(false);
    expect(again.results[0]!.steps.at(-1)!.state).toBe('not-run');
  });

  it('sends the steps that do not depend on each other at once; one failing lets the others finish and stops the VM after them', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const node = new FakeNode('cn1.example.net');
    const exec = node.exec.bind(node);
    let running = 0;
    let most = 0;
    node.exec = async (argv, o) => {
      // every command takes a while, as it does on a real link
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 30));
      try {
        // root's keys cannot be written in the VM
        if (argv.includes('/root/.ssh/authorized_keys') && argv.includes('0600'))
          return { code: 1, signal: null, stdout: '', stderr: 'No space left on device', durationMs: 1, timedOut: false };
        return await exec(argv, o);
      } finally {
        running--;
      }
    };
    // the transport is told, phase by phase, how many commands the next one starts at once
    const told: [string, number][] = [];
    (node as Transport).expect = (key, commands) => void told.push([key, commands]);
    const { results, events } = await runWith(vms, { 'cn1.example.net': node });
    expect(most).toBeGreaterThanOrEqual(3);
    // preflight (then spawn), spawn (then the four), the four (then initial_setup), the failure
    expect(told).toEqual([
      ['web.example.com', 1],
      ['web.example.com', 4],
      ['web.example.com', 1],
      ['web.example.com', 0],
    ]);
    const s = states(results[0]!);
    expect(s).toEqual({
      ...ALL_DONE,
      sshkeys: 'failed',
      initial_setup: 'not-run',
      initial_highstate: 'not-run',
      ping: 'not-run',
      reachable: 'not-run',
    });
    // the four were running together before any of them ended
    const steps = events.filter((e) => e.type === 'step');
    const firstEnd = steps.findIndex((e) => e.type === 'step' && e.state !== 'running' && e.step !== 'preflight' && e.step !== 'spawn');
    const startedBefore = steps
      .slice(0, firstEnd)
      .filter((e) => e.type === 'step' && e.state === 'running')
      .map((e) => e.type === 'step' && e.step);
    expect(startedBefore).toEqual(expect.arrayContaining(['reverse_proxy', 'hostsfile', 'sshkeys', 'grains']));
    // a dry run lists them one after another: its plan reads in order
    const dry = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { dryRun: true });
    const order = dry.events.flatMap((e) => (e.type === 'step' && e.state === 'running' ? [e.step] : []));
    expect(order).toEqual(Object.keys(ALL_DONE));
  });

  it('marks the running step interrupted when the run is aborted', async () => {
    const node = new FakeNode('cn1.example.net');
    const abort = new AbortController();
    const realExec = node.exec.bind(node);
    node.exec = async (argv, o) => {
      // a clone is sent with the read of its config, in one batch
      if (argv.some((a) => a.startsWith('lxc-copy ') || a.includes(':lxc-copy '))) abort.abort();
      return realExec(argv, o);
    };
    const { results } = await runWith(
      vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com'),
      { 'cn1.example.net': node },
      { signal: abort.signal },
    );
    expect(states(results[0]!)).toMatchObject({ spawn: 'interrupted', hostsfile: 'not-run' });
  });

  it('--only and --from select steps; preflight always runs', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const only = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { only: ['spawn', 'grains'] });
    expect(only.results[0]!.steps.map((s) => s.name)).toEqual(['preflight', 'spawn', 'grains', 'reachable']);
    const from = await runWith(vms, { 'cn1.example.net': new FakeNode('cn1.example.net') }, { from: 'initial_setup' });
    expect(from.results[0]!.steps.map((s) => s.name)).toEqual(['preflight', 'initial_setup', 'initial_highstate', 'ping', 'reachable']);
  });
});

describe('plans (--dry-run): the exact commands of each profile type on both LXC generations', () => {
  const types = {
    lvm: {
      1: 'lxc-clone -o makina-states-precise -n v.example.com -B lvm -v lxc -L 10g',
      2: 'lxc-copy -n makina-states-precise -N v.example.com -B lvm -L 10g',
    },
    'lvm-scratch': {
      1: 'lxc-create -n v.example.com -t ubuntu -B lvm --vgname lxc --fssize 10g',
      2: 'lxc-create -n v.example.com -t ubuntu -B lvm --vgname lxc --fssize 10g',
    },
    dir: {
      1: 'lxc-clone -o makina-states-precise -n v.example.com -B dir',
      2: 'lxc-copy -n makina-states-precise -N v.example.com -B dir',
    },
    'dir-scratch': { 1: 'lxc-create -n v.example.com -t ubuntu -B dir', 2: 'lxc-create -n v.example.com -t ubuntu -B dir' },
    overlayfs: {
      1: 'lxc-clone -o makina-states-precise -n v.example.com -B overlayfs -s',
      2: 'lxc-copy -n makina-states-precise -N v.example.com -B overlayfs -s',
    },
    'overlayfs-scratch': {
      1: 'lxc-create -n v.example.com -t ubuntu -B overlayfs',
      2: 'lxc-create -n v.example.com -t ubuntu -B overlayfs',
    },
  } as const;
  for (const [type, byGen] of Object.entries(types)) {
    for (const gen of [1, 2] as const) {
      it(`${type} on LXC ${gen === 1 ? '1.0.8' : '5.0.2'}`, async () => {
        const node = new FakeNode('cn', { version: gen === 1 ? '1.0.8' : '5.0.2', vgs: ['lxc'] });
        const vms = vmsFrom(`makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: ${type}}\n`);
        const { events, results } = await runWith(vms, { cn: node }, { dryRun: true });
        expect(results[0]!.ok).toBe(true);
        const planned = events.filter((e) => e.type === 'command' && e.dryRun).map((e) => (e as { argv: string[] }).argv);
        expect(planned[0]!.join(' ')).toBe(byGen[gen]);
        const cfgWrite = planned.find((a) => a.includes('/var/lib/lxc/v.example.com/config'));
        expect(cfgWrite).toBeDefined();
        expect(planned.map((a) => a[0])).toEqual(expect.arrayContaining(['lxc-start', 'lxc-wait', 'lxc-attach']));
        // A dry run changes nothing: the node saw reads only.
        expect(node.log.every((c) => c.argv[0] === 'sh' || c.argv[0] === 'lxc-attach')).toBe(true);
        expect(node.containers.has('v.example.com')).toBe(false);
      });
    }
  }
  it('honours a custom volume group for LVM clones on LXC 1.x, and refuses one lxc-copy cannot honour before anything is made', async () => {
    const pillar = `makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: lvm, vgname: data, snapshot: false}\n`;
    const old = new FakeNode('cn', { version: '1.0.8', vgs: ['lxc', 'data'] });
    const planned = (await runWith(vmsFrom(pillar), { cn: old }, { dryRun: true })).events.filter((e) => e.type === 'command' && e.dryRun);
    expect((planned[0] as { argv: string[] }).argv.join(' ')).toBe(
      'lxc-clone -o makina-states-precise -n v.example.com -B lvm -v data -L 10g',
    );
    const node = new FakeNode('cn', { version: '5.0.2', vgs: ['lxc', 'data'] });
    const r = await runWith(vmsFrom(pillar), { cn: node });
    expect(r.results[0]!.steps[0]).toMatchObject({
      name: 'preflight',
      state: 'failed',
      error: 'an LVM clone on cn would land in volume group lxc, not data: lxc-copy copies into lxc.bdev.lvm.vg',
      hint: expect.stringContaining('or use lvm-scratch (lxc-create takes --vgname)'),
    });
    expect(node.log.filter((c) => c.argv[0] !== 'sh')).toEqual([]);
    // a snapshot lands beside its origin: fine when the origin lives in the group asked for
    node.files.set('/var/lib/lxc/makina-states-precise/config', 'lxc.rootfs.path = lvm:/dev/data/makina-states-precise\n');
    const snap = await runWith(vmsFrom(pillar.replace('snapshot: false', 'snapshot: true')), { cn: node }, { dryRun: true });
    expect(snap.results[0]!.ok).toBe(true);
  });

  it('writes /etc/resolv.conf once, behind the marker, and leaves it alone afterwards', async () => {
    const node = new FakeNode('cn');
    const vms = vmsFrom(`makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: dir, dnsservers: [10.5.0.1]}\n`);
    await runWith(vms, { cn: node }, { only: ['spawn'] });
    const c = node.containers.get('v.example.com')!;
    expect(c.files.get('/etc/resolv.conf')).toBe('nameserver 10.5.0.1\n');
    expect(c.files.has('/.lxc.v.example.com.initial_dns')).toBe(true);
    c.files.set('/etc/resolv.conf', 'nameserver 127.0.0.53\n'); // systemd-resolved took over
    const again = await runWith(vms, { cn: node }, { only: ['spawn'] });
    expect(again.results[0]!.steps.find((s) => s.name === 'spawn')!.state).toBe('already-done');
    expect(c.files.get('/etc/resolv.conf')).toBe('nameserver 127.0.0.53\n');
  });

  it('writes one /etc/hosts block per domain on the node, and migrates the single block of 0.1', async () => {
    const node = new FakeNode('cn');
    node.files.set(
      '/etc/hosts',
      '127.0.0.1 localhost\n#-- start virt dns v.example.com:: DO NOT EDIT --\n10.5.3.4 v.example.com\n10.5.3.4 www.example.com\n#-- end virt dns v.example.com:: DO NOT EDIT --\n',
    );
    await runWith(
      vmsFrom(`makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: dir, ip: 10.5.3.4, domains: [www.example.com]}\n`),
      { cn: node },
      { only: ['spawn', 'hostsfile'] },
    );
    expect(node.files.get('/etc/hosts')).toBe(
      [
        '127.0.0.1 localhost',
        '#-- start virt dns v.example.com:: DO NOT EDIT --',
        '10.5.3.4 v.example.com',
        '#-- end virt dns v.example.com:: DO NOT EDIT --',
        '#-- start virt dns www.example.com:: DO NOT EDIT --',
        '10.5.3.4 www.example.com',
        '#-- end virt dns www.example.com:: DO NOT EDIT --',
        '',
      ].join('\n'),
    );
  });

  it('writes the right config dialect for each generation', async () => {
    for (const [version, key] of [
      ['1.0.8', 'lxc.network.ipv4 = '],
      ['5.0.2', 'lxc.net.0.ipv4.address = '],
    ] as const) {
      const node = new FakeNode('cn', { version });
      await runWith(
        vmsFrom(`makina-states.cloud.lxc.vms.cn:\n  v.example.com: {profile_type: dir, ip: 10.5.3.4}\n`),
        { cn: node },
        { only: ['spawn'] },
      );
      expect(node.files.get('/var/lib/lxc/v.example.com/config')).toContain(`${key}10.5.3.4/16`);
    }
  });
  it('attaches inside containers with a clean environment', () => {
    expect(NodeSession.attach('v', ['id'])).toEqual([
      'lxc-attach',
      '-n',
      'v',
      '--clear-env',
      '--set-var',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--',
      'id',
    ]);
  });
});

describe("the node's /etc/hosts edited by someone else during the run", () => {
  it('is read again and edited again: their line stays, ours is added (compare-and-swap under flock)', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const node = new FakeNode('cn1.example.net');
    node.files.set('/etc/hosts', '127.0.0.1 localhost\n');
    // after the facts (which carry /etc/hosts) were read, an operator adds a line
    let edited = false;
    const transport: Transport = {
      node: node.node,
      connections: 0,
      close: () => node.close(),
      exec: async (argv, o) => {
        if (!edited && argv.some((a) => a.includes('exit 75; }'))) {
          edited = true;
          node.files.set('/etc/hosts', '127.0.0.1 localhost\n10.9.9.9 theirs.example.net\n');
        }
        return node.exec(argv, o);
      },
    };
    const { results } = await runWith(vms, { 'cn1.example.net': transport }, { only: ['spawn', 'hostsfile'] });
    expect(states(results[0]!).hostsfile).toBe('done');
    expect(edited).toBe(true);
    const hosts = node.files.get('/etc/hosts')!;
    expect(hosts).toContain('10.9.9.9 theirs.example.net');
    expect(hosts).toMatch(/#-- start virt dns web\.example\.com:: DO NOT EDIT --\n10\.5\.\d+\.\d+ web\.example\.com\n/);
  });

  it('keeps its edit going while other writers keep winning: each refusal brings the file back, one round trip an attempt', async () => {
    const vms = vmsFrom(PILLAR, 'dev').filter((v) => v.name === 'web.example.com');
    const node = new FakeNode('cn1.example.net');
    node.files.set('/etc/hosts', '127.0.0.1 localhost\n');
    // other VMs' runs (other "nodes" on the same machine) write just before each of our first 7
    let theirs = 0;
    let reads = 0;
    const transport: Transport = {
      node: node.node,
      connections: 0,
      close: () => node.close(),
      exec: async (argv, o) => {
        if (argv.some((a) => a.includes('|| { if [ -e "$1" ]')) && theirs < 7) {
          theirs++;
          node.files.set('/etc/hosts', `${node.files.get('/etc/hosts')}10.9.9.${theirs} other${theirs}.example.net\n`);
        }
        if (argv.includes('/etc/hosts') && argv.some((a) => a.startsWith('if [ -e "$1" ]; then cat'))) reads++;
        return node.exec(argv, o);
      },
    };
    const { results } = await runWith(vms, { 'cn1.example.net': transport }, { only: ['spawn', 'hostsfile'] });
    expect(states(results[0]!).hostsfile).toBe('done');
    expect(theirs).toBe(7);
    expect(reads).toBe(0);
    const hosts = node.files.get('/etc/hosts')!;
    for (let i = 1; i <= 7; i++) expect(hosts).toContain(`10.9.9.${i} other${i}.example.net\n`);
    expect(hosts).toMatch(/#-- start virt dns web\.example\.com:: DO NOT EDIT --\n10\.5\.\d+\.\d+ web\.example\.com\n/);
  });
});
