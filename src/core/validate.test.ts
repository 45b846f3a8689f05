import { describe, expect, it } from 'vitest';
import { countBySeverity, type Finding } from './findings.js';
import { validatePillar } from './validate.js';
import { model, seedText } from '../../test/helpers/pillar.js';

const codes = (fs: Finding[], sev?: 'error' | 'warning') => fs.filter((f) => !sev || f.severity === sev).map((f) => f.code);
const one = (vms: string, extra = '') => model(`${extra}makina-states.cloud.lxc.vms.cn.example.net:\n${vms}`, 'p.sls');

describe('validation', () => {
  it("finds exactly one error in the seed's example: 10.5.10.17 used twice on devhost10.local", async () => {
    const findings = validatePillar(model(await seedText(), 'seed.sls'), 'prod');
    const errors = findings.filter((f) => f.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'duplicate-ip',
      vm: 'gfoobar2.test.coma',
      node: 'devhost10.local',
      where: { file: 'seed.sls', line: 27, field: 'ip' },
    });
    expect(errors[0]!.message).toContain('10.5.10.17');
    expect(errors[0]!.message).toContain('gfoobar3.test.com (line 20)');
    expect(codes(findings, 'warning')).toEqual(['tld-typo']);
  });

  it('refuses hostile and malformed VM names at their line', () => {
    const f = validatePillar(
      one(`  ok.example.com: {}\n  "$(reboot).example.com": {}\n  "a;b.example.com": {}\n  Web.example.com: {}\n  single: {}\n`),
      'prod',
    );
    const bad = f.filter((x) => x.code === 'bad-name');
    expect(bad.map((x) => x.where.line)).toEqual([3, 4, 5, 6]);
    expect(bad.every((x) => x.hint)).toBe(true);
  });

  it('refuses names used on two compute nodes', () => {
    const m = model(
      `makina-states.cloud.lxc.vms.a.example.net:\n  web.example.com: {}\nmakina-states.cloud.lxc.vms.b.example.net:\n  web.example.com: {}\n`,
    );
    const f = validatePillar(m, 'prod');
    expect(codes(f, 'error')).toEqual(['duplicate-name']);
    expect(f[0]!.where.line).toBe(4);
  });

  it('places IPs inside the network, never on its network, broadcast or gateway address', () => {
    const f = validatePillar(
      one(
        `  a.example.com: {ip: 10.6.0.2}\n  b.example.com: {ip: 10.5.0.0}\n  c.example.com: {ip: 10.5.255.255}\n  d.example.com: {ip: 10.5.0.1}\n  e.example.com: {ip: 10.5.1.0}\n  f.example.com: {ip: 10.5.0.300}\n`,
      ),
      'prod',
    );
    expect(f.filter((x) => x.code === 'ip-placement').map((x) => x.vm)).toEqual([
      'a.example.com',
      'b.example.com',
      'c.example.com',
      'd.example.com',
    ]);
    expect(f.find((x) => x.vm === 'f.example.com')?.code).toBe('bad-value');
  });

  it('keeps IPs and MACs unique per node, counting stored values too, but not across nodes', () => {
    const m = model(
      `makina-states.cloud.lxc.vms.a.net:\n  x.example.com: {ip: 10.5.0.5, mac: '00:16:3e:00:00:01'}\n  y.example.com: {mac: '00:16:3e:00:00:01'}\n  z.example.com: {}\nmakina-states.cloud.lxc.vms.b.net:\n  w.example.com: {ip: 10.5.0.5}\n`,
    );
    const store = new Map([['a.net', { 'z.example.com': { ip: '10.5.0.5' } }]]);
    const f = validatePillar(m, 'prod', store);
    expect(codes(f, 'error').sort()).toEqual(['duplicate-ip', 'duplicate-mac']);
    expect(f.find((x) => x.code === 'duplicate-ip')!.message).toContain('(stored)');
  });

  it('checks types, sizes and modes, and warns where a value is ignored', () => {
    const f = validatePillar(
      one(
        `  a.example.com: {profile_type: zfs}\n  b.example.com: {mode: master}\n  c.example.com: {profile_type: dir, profile: small}\n  d.example.com: {profile_type: lvm-sratch}\n  e.example.com: {profile: smal}\n  f.example.com: {profile_type: dir, snapshot: true}\n  g.example.com: {profile_type: overlayfs}\n  h.example.com: {profile_type: overlayfs-scratch, from_container: base}\n`,
      ),
      'prod',
    );
    const byVm = (vm: string) => f.filter((x) => x.vm === vm).map((x) => `${x.severity}:${x.code}`);
    expect(byVm('a.example.com')).toEqual(['error:bad-value']);
    expect(byVm('b.example.com')).toEqual(['error:bad-value']);
    expect(byVm('c.example.com')).toEqual(['warning:size-ignored']);
    expect(byVm('d.example.com')).toEqual(['warning:profile-type-alias']);
    expect(byVm('e.example.com')).toEqual(['warning:profile-verbatim']);
    expect(byVm('f.example.com')).toEqual(['warning:snapshot-dir']);
    expect(byVm('g.example.com')).toEqual(['warning:snapshot-prod']);
    expect(f.find((x) => x.code === 'snapshot-prod')!.message).toContain('do not use snapshot in production');
    expect(byVm('h.example.com')).toEqual(['warning:from-container-ignored']);
  });

  it('does not warn about overlayfs snapshots in dev', () => {
    expect(validatePillar(one(`  g.example.com: {profile_type: overlayfs}\n`), 'dev')).toEqual([]);
  });

  it('keeps unknown keys but flags them with a did-you-mean', () => {
    const f = validatePillar(one(`  a.example.com:\n    ipp: 10.5.0.9\n    custom_thing: 1\n`), 'prod');
    expect(f.map((x) => [x.code, x.where.line, x.hint])).toEqual([
      ['unknown-key', 3, "did you mean 'ip'?"],
      ['unknown-key', 4, 'check the spelling against the README'],
    ]);
    expect(countBySeverity(f).errors).toBe(0);
  });

  it('checks pillar defaults too', () => {
    const f = validatePillar(
      one(`  a.example.com: {}\n`, `makina-states.cloud.lxc.defaults.gatway: 10.5.0.1\nmakina-states.cloud.lxc.defaults.netmask: 99\n`),
      'prod',
    );
    expect(f.map((x) => [x.code, x.severity, x.hint?.includes('did you mean defaults.gateway?') ?? false])).toEqual([
      ['unknown-setting', 'warning', true],
      ['bad-default', 'error', false],
    ]);
  });
});
