import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generationOf, lxcCause, readNetwork, rewriteConfig } from './lxc-dialect.js';
import { parseFacts } from './node-session.js';
import { removeBlock, replaceBlock } from './steps/step.js';

const net = {
  bridge: 'lxcbr1',
  mac: '00:16:3e:00:00:01',
  ip: '10.5.0.2',
  netmask: 16,
  gateway: '10.5.0.1',
  autostart: true,
  lxcConf: [],
  lxcConfUnset: [],
};

describe('LXC generations and container configs', () => {
  it('tells generations apart by version', () => {
    expect([generationOf('1.0.8'), generationOf('1.1.5'), generationOf('2.0.0'), generationOf('5.0.2')]).toEqual([1, 1, 2, 2]);
  });
  it('replaces managed keys in place, keeps everything else, and appends what is missing (LXC >= 2)', () => {
    const before =
      '# template config\nlxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\nlxc.net.0.flags = up\nlxc.rootfs.path = dir:/x\nlxc.uts.name = "v"\n';
    expect(rewriteConfig(before, 2, net)).toBe(
      '# template config\nlxc.net.0.type = veth\nlxc.net.0.link = lxcbr1\nlxc.net.0.flags = up\nlxc.rootfs.path = dir:/x\nlxc.uts.name = "v"\nlxc.net.0.hwaddr = 00:16:3e:00:00:01\nlxc.net.0.ipv4.address = 10.5.0.2/16\nlxc.net.0.ipv4.gateway = 10.5.0.1\nlxc.start.auto = 1\n',
    );
  });
  it('speaks the LXC 1.x dialect, applies lxc_conf and removes lxc_conf_unset prefixes', () => {
    const out = rewriteConfig('lxc.network.type = veth\nlxc.cgroup.memory.limit_in_bytes = 1G\nlxc.cgroup.cpuset.cpus = 0\n', 1, {
      ...net,
      autostart: false,
      lxcConf: [{ 'lxc.cgroup.cpu.shares': '512' }],
      lxcConfUnset: ['lxc.cgroup.memory'],
    });
    expect(out).toContain('lxc.network.ipv4 = 10.5.0.2/16\n');
    expect(out).toContain('lxc.network.hwaddr = 00:16:3e:00:00:01\n');
    expect(out).toContain('lxc.start.auto = 0\n');
    expect(out).toContain('lxc.cgroup.cpu.shares = 512\n');
    expect(out).toContain('lxc.cgroup.cpuset.cpus = 0\n');
    expect(out).not.toContain('memory');
    expect(readNetwork(out, 1)).toEqual({ link: 'lxcbr1', mac: '00:16:3e:00:00:01', ip: '10.5.0.2', gateway: '10.5.0.1', autostart: '0' });
  });
  it('is idempotent and never duplicates a key', () => {
    const line = fc.oneof(
      fc.constantFrom(
        'lxc.net.0.link = x',
        'lxc.net.0.hwaddr = 00:16:3e:aa:bb:cc',
        'lxc.start.auto = 0',
        '# c',
        '',
        'lxc.rootfs.path = dir:/r',
        'lxc.net.0.link = y',
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const once = rewriteConfig(lines.join('\n'), 2, net);
        expect(rewriteConfig(once, 2, net)).toBe(once);
        expect(once.split('\n').filter((l) => l.startsWith('lxc.net.0.link')).length).toBe(1);
      }),
    );
  });
  it('reads the node facts the probe prints', () => {
    const f = parseFacts(
      [
        '@version 1.0.8',
        '@lxcpath /srv/lxc',
        '@bridge lxcbr1',
        '@vg lxc',
        '@df /dev/sda1 1000 500 4200 50% /srv',
        '@c web RUNNING',
        'lxc.network.hwaddr = 00:16:3e:00:00:09',
        'lxc.network.ipv4 = 10.5.0.9/16',
        '@c base STOPPED',
        '',
      ].join('\n'),
    );
    expect(f).toMatchObject({
      lxcVersion: '1.0.8',
      generation: 1,
      lxcPath: '/srv/lxc',
      bridges: ['lxcbr1'],
      volumeGroups: ['lxc'],
      freeKb: 4200,
    });
    expect([...f.containers.values()]).toEqual([
      { name: 'web', state: 'RUNNING', mac: '00:16:3e:00:00:09', ip: '10.5.0.9', link: undefined },
      { name: 'base', state: 'STOPPED', mac: undefined, ip: undefined, link: undefined },
    ]);
    expect(parseFacts('@version none\n').lxcVersion).toBeUndefined();
    // df's lines and the base64 of /etc/hosts under their tag: an empty file is '', not unknown
    const under = parseFacts(
      '@df\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 100 50 4200 2% /\n@hosts\n@netsetup\n',
    );
    expect(under).toMatchObject({ freeKb: 4200, hosts: '', netSetUp: true });
    const hosts = '127.0.0.1 localhost\n'.repeat(10);
    const b64 = Buffer.from(hosts).toString('base64');
    expect(parseFacts(`@hosts\n${b64.slice(0, 76)}\n${b64.slice(76)}\n@c web RUNNING\n`).hosts).toBe(hosts);
  });
});

describe('marked blocks', () => {
  const S = '#-- start x --';
  const E = '#-- end x --';
  it('are appended once, then replaced in place, and removed cleanly', () => {
    const base = '127.0.0.1 localhost\n::1 localhost\n';
    const one = replaceBlock(base, S, E, ['10.5.0.2 a']);
    expect(one).toBe(`${base}${S}\n10.5.0.2 a\n${E}\n`);
    const two = replaceBlock(one, S, E, ['10.5.0.3 a']);
    expect(two).toBe(`${base}${S}\n10.5.0.3 a\n${E}\n`);
    expect(replaceBlock(two, S, E, ['10.5.0.3 a'])).toBe(two);
    expect(removeBlock(two, S, E)).toBe(base);
    expect(replaceBlock('', S, E, ['x'])).toBe(`${S}\nx\n${E}\n`);
    expect(replaceBlock('no-newline', S, E, ['x'])).toBe(`no-newline\n${S}\nx\n${E}\n`);
  });
});

describe("LXC's cause, out of its output", () => {
  it('is the specific line, not the generic ones that follow it', () => {
    expect(
      lxcCause(
        'lxc-create: x: ../src/lxc/utils.c: get_template_path: 900 No such file or directory - bad template: busyboxx\n' +
          'lxc-create: x: ../src/lxc/lxccontainer.c: __lxcapi_create: 1799 Template "busyboxx" not found\n' +
          'lxc-create: x: ../src/lxc/tools/lxc_create.c: main: 317 Failed to create container x\n',
      ),
    ).toBe('Template "busyboxx" not found');
    // lxc-start --logfile: the first error is the cause, the others follow from it
    const log = [
      'netdev_configure_server_veth:711 - No such file or directory - Failed to attach "vethK" to bridge "nosuchbr0", bridge interface doesn\'t exist',
      'lxc_create_network_priv:3427 - No such file or directory - Failed to create network device',
      'lxc_spawn:1840 - Failed to create the network',
      'main:306 - The container failed to start',
    ].map((m) => `lxc-start x 20261208002813.714 ERROR    network - ../src/lxc/network.c:${m}`);
    expect(lxcCause(log.join('\n'))).toBe(
      'No such file or directory - Failed to attach "vethK" to bridge "nosuchbr0", bridge interface doesn\'t exist',
    );
    expect(lxcCause('lxc-start: x: ../src/lxc/tools/lxc_start.c: main: 306 The container failed to start\n')).toBeUndefined();
  });
});
