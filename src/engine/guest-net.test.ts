import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  busyboxRcS,
  guestReadArgv,
  guestWriteItem,
  ifupdownInterfaces,
  parseGuestRead,
  planGuestNet,
  type GuestFiles,
} from './guest-net.js';

const WANT = { iface: 'eth0', ip: '10.5.0.12', prefix: 16, gateway: '10.5.0.1', dns: ['10.5.0.1', '8.8.8.8'] };
const DEBIAN = 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n';

function files(f: Record<string, string>, present: string[] = [], dirs: Record<string, string[]> = {}): GuestFiles {
  return {
    files: new Map(Object.entries(f).map(([k, v]) => [k, { content: v, mode: '644' }])),
    dirs: new Map(Object.entries(dirs)),
    present: new Set(present),
  };
}

describe('the guest network (written in the rootfs before the boot)', () => {
  it("switches Debian's DHCP stanza off in place and says eth0 is manual (LXC's address stays): no DHCP client waits", () => {
    const out = ifupdownInterfaces(DEBIAN, 'eth0');
    expect(out).toBe(
      'auto lo\niface lo inet loopback\n\n#lxc-wizard-off# auto eth0\n#lxc-wizard-off# iface eth0 inet dhcp\n\n' +
        '#-- start lxc-wizard eth0:: DO NOT EDIT --\n' +
        "# eth0's address, gateway and MAC come from LXC (lxc.net.0.ipv4.*); no DHCP client waits on the bridge\n" +
        'auto eth0\niface eth0 inet manual\n#-- end lxc-wizard eth0:: DO NOT EDIT --\n',
    );
    expect(ifupdownInterfaces(out, 'eth0')).toBe(out);
  });

  it("keeps every other line: another interface's stanza, options, comments, allow-hotplug of several", () => {
    const text =
      '# the operator\nsource /etc/network/interfaces.d/*\nallow-hotplug eth0\niface eth0 inet dhcp\n  hostname web\n# a note\n\nauto eth1\niface eth1 inet static\n  address 192.168.1.2/24\nallow-hotplug eth0 eth1\n';
    const out = ifupdownInterfaces(text, 'eth0');
    expect(out).toContain('# the operator\nsource /etc/network/interfaces.d/*\n');
    expect(out).toContain(
      '#lxc-wizard-off# allow-hotplug eth0\n#lxc-wizard-off# iface eth0 inet dhcp\n#lxc-wizard-off#   hostname web\n# a note\n',
    );
    expect(out).toContain('auto eth1\niface eth1 inet static\n  address 192.168.1.2/24\nallow-hotplug eth0 eth1\n');
    expect(ifupdownInterfaces(out, 'eth0')).toBe(out);
  });

  it("switches busybox's udhcpc off (it wipes the static address), keeps the rest", () => {
    const rcs = '#!/bin/sh\n/bin/syslogd\n/bin/mount -a\n/bin/udhcpc\n';
    expect(busyboxRcS(rcs)).toBe('#!/bin/sh\n/bin/syslogd\n/bin/mount -a\n#lxc-wizard-off# /bin/udhcpc\n');
    expect(busyboxRcS(busyboxRcS(rcs))).toBe(busyboxRcS(rcs));
  });

  it('tells the kind from what the rootfs holds, writes only what differs, and names a missing sshd', () => {
    const debian = planGuestNet(files({ 'etc/network/interfaces': DEBIAN }, ['usr/sbin/ifup', 'usr/sbin/sshd']), WANT);
    expect(debian.kind).toBe('ifupdown');
    expect(debian.writes.map((w) => [w.path, w.mode])).toEqual([['etc/network/interfaces', '644']]);
    expect(debian.lacks).toEqual([]);
    const again = planGuestNet(files({ 'etc/network/interfaces': debian.writes[0]!.content }, ['usr/sbin/ifup', 'usr/sbin/sshd']), WANT);
    expect(again.writes).toEqual([]);

    const netplan = planGuestNet(files({}, ['usr/sbin/netplan', 'usr/sbin/sshd'], { 'etc/netplan': ['50-cloud-init.yaml'] }), WANT);
    expect(netplan.kind).toBe('netplan');
    expect(netplan.writes[0]).toMatchObject({ path: 'etc/netplan/90-lxc-wizard.yaml', mode: '0600' });
    expect(netplan.writes[0]!.content).toContain('dhcp4: false');
    expect(netplan.writes[0]!.content).toContain('addresses: [10.5.0.12/16]');

    const networkd = planGuestNet(files({}, ['lib/systemd/systemd-networkd']), WANT);
    expect(networkd.kind).toBe('networkd');
    expect(networkd.writes[0]!.content).toContain(
      'DHCP=no\nLinkLocalAddressing=no\nAddress=10.5.0.12/16\nGateway=10.5.0.1\nDNS=10.5.0.1\nDNS=8.8.8.8\n',
    );
    expect(networkd.lacks).toEqual(['no sshd in the image (no /usr/sbin/sshd or dropbear)']);

    const busybox = planGuestNet(files({ 'etc/init.d/rcS': '/bin/udhcpc\n' }), WANT);
    expect(busybox.kind).toBe('busybox');
    expect(busybox.lacks).toHaveLength(1);
    expect(planGuestNet(files({}), WANT)).toEqual({
      kind: 'none',
      writes: [],
      lacks: ['no sshd in the image (no /usr/sbin/sshd or dropbear)'],
    });
  });
});

describe('GUEST_FS (a container rootfs read and written from its node, by a real sh)', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const run = (argv: string[], input?: string) =>
    execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });

  function bed(spec: (d: string) => string) {
    dir = mkdtempSync(join(tmpdir(), 'lxcw-guestfs-'));
    const lower = join(dir, 'origin/rootfs');
    mkdirSync(join(lower, 'etc/network'), { recursive: true });
    mkdirSync(join(lower, 'usr/sbin'), { recursive: true });
    writeFileSync(join(lower, 'etc/network/interfaces'), DEBIAN);
    writeFileSync(join(lower, 'usr/sbin/sshd'), '');
    writeFileSync(join(lower, 'usr/sbin/ifup'), '');
    symlinkSync('usr/sbin', join(lower, 'sbin'));
    const config = join(dir, 'config');
    writeFileSync(config, `lxc.uts.name = vm\nlxc.rootfs.path = ${spec(dir)}\n`);
    return { config, lower };
  }

  it('a dir rootfs: reads what the planner needs, writes the plan, reads it back as in place', () => {
    const { config, lower } = bed((d) => `dir:${d}/origin/rootfs`);
    const g = parseGuestRead(run(guestReadArgv(config)));
    expect([...g.files.keys()]).toEqual(['etc/network/interfaces']);
    expect([...g.present].sort()).toEqual(['sbin/ifup', 'sbin/sshd', 'usr/sbin/ifup', 'usr/sbin/sshd']);
    const plan = planGuestNet(g, WANT);
    const w = guestWriteItem(config, plan.writes);
    run(w.argv, w.stdin);
    expect(readFileSync(join(lower, 'etc/network/interfaces'), 'utf8')).toBe(plan.writes[0]!.content);
    expect(statSync(join(lower, 'etc/network/interfaces')).mode & 0o777).toBe(0o644);
    expect(planGuestNet(parseGuestRead(run(guestReadArgv(config))), WANT).writes).toEqual([]);
  });

  it("an overlay: reads through to the origin, writes only in the clone's upper layer (the origin is never changed)", () => {
    const { config, lower } = bed((d) => `overlay:${d}/origin/rootfs:${d}/clone/delta`);
    mkdirSync(join(dir, 'clone/delta'), { recursive: true });
    const plan = planGuestNet(parseGuestRead(run(guestReadArgv(config))), WANT);
    const w = guestWriteItem(config, plan.writes);
    run(w.argv, w.stdin);
    expect(readFileSync(join(lower, 'etc/network/interfaces'), 'utf8')).toBe(DEBIAN);
    expect(readFileSync(join(dir, 'clone/delta/etc/network/interfaces'), 'utf8')).toBe(plan.writes[0]!.content);
    // read again: the upper layer's file is the one that counts
    expect(planGuestNet(parseGuestRead(run(guestReadArgv(config))), WANT).writes).toEqual([]);
  });

  it("never follows a link the image holds: a planted etc/network → the node's own directory is refused", () => {
    const { config, lower } = bed((d) => `${d}/origin/rootfs`);
    const outside = join(dir, 'node-etc');
    mkdirSync(outside);
    writeFileSync(join(outside, 'interfaces'), 'the node\n');
    rmSync(join(lower, 'etc/network'), { recursive: true });
    symlinkSync(outside, join(lower, 'etc/network'));
    // not read through the link…
    expect(parseGuestRead(run(guestReadArgv(config))).files.size).toBe(0);
    // …and not written through it
    const w = guestWriteItem(config, [{ path: 'etc/network/interfaces', content: 'x\n', mode: '644' }]);
    expect(() => execFileSync(w.argv[0]!, w.argv.slice(1), { input: w.stdin, stdio: 'pipe' })).toThrow(/link in the image/);
    expect(readFileSync(join(outside, 'interfaces'), 'utf8')).toBe('the node\n');
    expect(existsSync(join(outside, '.interfaces.lxcw-tmp'))).toBe(false);
  });

  it('names a rootfs kind it cannot open', () => {
    const { config } = bed(() => 'zfs:tank/vm');
    expect(() => execFileSync('sh', guestReadArgv(config).slice(1), { stdio: 'pipe' })).toThrow(
      /cannot open a root filesystem of this kind: zfs:tank\/vm/,
    );
  });
});
