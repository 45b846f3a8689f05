import { describe, expect, it } from 'vitest';
import { resolveDefaults } from './defaults.js';
import { findVm } from './model.js';
import { resolveNodeSettings } from './node-settings.js';
import { resolveSettings, settingsValues, withBranch } from './settings.js';
import { model } from '../../test/helpers/pillar.js';

describe("settings of a VM (the seed's get_settings_for_vm)", () => {
  it("reproduce the seed's example output for nmdcarto51 on a dev controller", () => {
    const m = model(`makina-states.cloud.lxc.vms.devhost10.local:\n  nmdcarto51.test.com: {}\n`);
    const rd = resolveDefaults(m, 'dev');
    const entry = findVm(m, 'devhost10.local', 'nmdcarto51.test.com')!;
    const s = resolveSettings(
      entry,
      rd,
      { env: 'dev', controller: 'devhost10.local' },
      { ip: '10.5.0.12', mac: '00:16:3e:00:f1:81', password: 'balh', ssh_reverse_proxy_port: 40000 },
    );
    expect(settingsValues(s, true)).toEqual({
      autostart: true,
      backing: 'overlayfs',
      bootsalt_branch: 'master',
      bridge: 'lxcbr1',
      dnsservers: ['8.8.8.8', '4.4.4.4'],
      domains: ['nmdcarto51.test.com'],
      from_container: 'makina-states-precise',
      gateway: '10.5.0.1',
      image: 'ubuntu',
      ip: '10.5.0.12',
      lxc_conf: [],
      lxc_conf_unset: [],
      mac: '00:16:3e:00:f1:81',
      master: '10.5.0.1',
      master_port: 4606,
      mode: 'mastersalt',
      name: 'nmdcarto51.test.com',
      netmask: 16,
      network: '10.5.0.0',
      password: 'balh',
      profile: 'ms-devhost10-local-overlayfs',
      profile_type: 'overlayfs',
      // not in the seed's listing: the profile's script (original-system.md §2.3), shown since 0.2
      script: '/srv/mastersalt/makina-states/_scripts/boot-salt.sh',
      script_args: '-C --from-salt-cloud --mastersalt-minion -b master',
      snapshot: true,
      ssh_gateway: 'devhost10.local',
      ssh_gateway_key: '/root/.ssh/id_dsa',
      ssh_gateway_password: null,
      ssh_gateway_port: 22,
      ssh_gateway_user: 'root',
      ssh_reverse_proxy_port: 40000,
      ssh_username: 'ubuntu',
      sudo: true,
      users: ['root', 'sysadmin'],
    });
    expect(
      Object.entries(s.fields)
        .filter(([, f]) => f.live)
        .map(([k]) => k),
    ).toEqual(['gateway', 'ip', 'ssh_reverse_proxy_port']);
    expect(settingsValues(s, false).password).toBe('<hidden>');
  });

  it('give LVM types size and vgname, prod defaults, and the salt mode args and port', () => {
    const m = model(`makina-states.services.cloud.lxc.targets.cn1.example.net:\n  web.example.com:\n    profile: small\n    mode: salt\n`);
    const [s] = resolveNodeSettings(m, 'cn1.example.net', resolveDefaults(m, 'prod'), { env: 'prod', controller: 'ctl.example.net' }, {});
    const v = settingsValues(s!, false);
    expect(v).toMatchObject({
      profile_type: 'lvm',
      backing: 'lvm',
      size: '5g',
      vgname: 'lxc',
      profile: 'ms-cn1-example-net-small-lvm',
      master: 'ctl.example.net',
      master_port: 4506,
      script_args: '-C --from-salt-cloud -no-M -b stable',
      snapshot: false,
      ip: '10.5.0.2',
      ssh_reverse_proxy_port: 40000,
      mac: null,
      password: null,
    });
    expect(s!.fields.ip!.source).toBe('pending');
    expect(s!.fields.mac!.source).toBe('pending');
  });

  it('drop size and vgname for dir/overlayfs types and null from_container for scratch types', () => {
    const m = model(`makina-states.cloud.lxc.vms.cn:\n  a.example.com:\n    profile_type: dir-scratch\n    profile: small\n`);
    const [s] = resolveNodeSettings(m, 'cn', resolveDefaults(m, 'prod'), { env: 'prod', controller: 'ctl' }, {});
    expect(s!.fields.size).toBeUndefined();
    expect(s!.fields.vgname).toBeUndefined();
    expect(s!.fields.backing!.value).toBe('dir');
    expect(s!.fields.from_container!.value).toBeNull();
    expect(s!.fields.profile!.value).toBe('ms-cn-dir-scratch');
  });

  it('use a non-size profile verbatim and pass unknown keys through', () => {
    const m = model(`makina-states.cloud.lxc.vms.cn:\n  a.example.com:\n    profile: my-custom-profile\n    foo: bar\n`);
    const [s] = resolveNodeSettings(m, 'cn', resolveDefaults(m, 'prod'), { env: 'prod', controller: 'ctl' }, {});
    expect(s!.fields.profile).toEqual({ value: 'my-custom-profile', source: 'entry' });
    expect(s!.fields.foo).toEqual({ value: 'bar', source: 'entry' });
  });

  it('take pillar defaults over built-in ones, and entry keys over both', () => {
    const m = model(
      `makina-states.cloud.lxc.defaults.bridge: br9\nmakina-states.cloud.lxc.defaults:\n  gateway: 10.9.0.1\n  network: 10.9.0.0\nmakina-states.cloud.lxc.vms.cn:\n  a.example.com: {}\n  b.example.com:\n    bridge: br7\n`,
    );
    const rd = resolveDefaults(m, 'prod');
    const [a, b] = resolveNodeSettings(m, 'cn', rd, { env: 'prod', controller: 'cn' }, {});
    expect(a!.fields.bridge).toEqual({ value: 'br9', source: 'pillar-default' });
    expect(a!.fields.master!.value).toBe('10.9.0.1');
    expect(a!.fields.ip!.value).toBe('10.9.0.2');
    expect(b!.fields.bridge).toEqual({ value: 'br7', source: 'entry' });
  });

  it('append -b <branch> unless the args already name one', () => {
    expect(withBranch('-C --from-salt-cloud', 'stable')).toBe('-C --from-salt-cloud -b stable');
    expect(withBranch('-C -b dev', 'stable')).toBe('-C -b dev');
    expect(withBranch('-C --branch=dev', 'stable')).toBe('-C --branch=dev');
    expect(withBranch('-C --bootstrap', 'stable')).toBe('-C --bootstrap -b stable');
  });
});
