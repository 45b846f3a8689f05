import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  firstFreeIp,
  firstFreePort,
  generateMac,
  generatePassword,
  planNode,
  allocateVm,
  ipPlacementProblem,
  ipOnWriteOf,
} from './allocation.js';
import { builtinDefaults } from './defaults.js';
import { UserError } from './errors.js';
import { formatIPv4, networkOf, parseIPv4 } from './ipv4.js';
import { emptyModel, type PillarModel } from './model.js';

const ip = (s: string) => parseIPv4(s)!;
const net16 = { net: networkOf(ip('10.5.0.0'), 16), gateway: ip('10.5.0.1') };

function model(node: string, vms: Record<string, Record<string, unknown>>): PillarModel {
  const m = emptyModel('test.sls');
  m.nodes.set(node, { name: node, line: 1, forms: ['targets'], saltify: false });
  let line = 2;
  for (const [name, keys] of Object.entries(vms)) m.vms.push({ node, name, form: 'targets', keys, line: line++, keyLines: {} });
  return m;
}

describe('IP allocation', () => {
  it('starts at .0.2 and skips the gateway, .0, .255 and taken addresses', () => {
    expect(formatIPv4(firstFreeIp(net16, new Set())!)).toBe('10.5.0.2');
    const taken = new Set(['10.5.0.2', '10.5.0.3'].map(ip));
    expect(formatIPv4(firstFreeIp(net16, taken)!)).toBe('10.5.0.4');
    expect(formatIPv4(firstFreeIp(net16, new Set(), ip('10.5.0.255'))!)).toBe('10.5.1.1');
    const gwLow = { net: networkOf(ip('10.6.0.0'), 24), gateway: ip('10.6.0.2') };
    expect(formatIPv4(firstFreeIp(gwLow, new Set())!)).toBe('10.6.0.3');
  });
  it('reports exhaustion as undefined in a tiny network, and as a clear error from a plan', () => {
    const tiny = { net: networkOf(ip('10.7.0.0'), 30), gateway: ip('10.7.0.1') };
    expect(formatIPv4(firstFreeIp(tiny, new Set())!)).toBe('10.7.0.2');
    expect(firstFreeIp(tiny, new Set([ip('10.7.0.2')]))).toBeUndefined();
    const m = model('cn.local', {
      'a.example.com': { network: '10.7.0.0', netmask: 30, gateway: '10.7.0.1' },
      'b.example.com': { network: '10.7.0.0', netmask: 30, gateway: '10.7.0.1' },
    });
    expect(() => planNode(m, 'cn.local', builtinDefaults('prod'), {})).toThrow(UserError);
    expect(() => planNode(m, 'cn.local', builtinDefaults('prod'), {})).toThrow(/no free IP address left in 10.7.0.0\/30 for b.example.com/);
  });
  it('refuses the network, broadcast and gateway addresses and addresses outside', () => {
    expect(ipPlacementProblem(ip('10.5.0.0'), net16)).toContain('network address');
    expect(ipPlacementProblem(ip('10.5.255.255'), net16)).toContain('broadcast');
    expect(ipPlacementProblem(ip('10.5.0.1'), net16)).toContain('gateway');
    expect(ipPlacementProblem(ip('10.6.0.9'), net16)).toContain('outside');
    expect(ipPlacementProblem(ip('10.5.1.0'), net16)).toBeUndefined();
  });

  const names = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}\.example\.com$/), { minLength: 1, maxLength: 30 });
  it('gives every VM of a node a distinct usable address, explicit ones reserved first', () => {
    fc.assert(
      fc.property(names, fc.array(fc.integer({ min: 2, max: 40 }), { maxLength: 10 }), (vms, explicitOctets) => {
        const entries: Record<string, Record<string, unknown>> = {};
        vms.forEach((n, i) => (entries[n] = i < explicitOctets.length ? { ip: `10.5.0.${explicitOctets[i]}` } : {}));
        const m = model('cn.local', entries);
        const plan = planNode(m, 'cn.local', builtinDefaults('prod'), {});
        const explicit = Object.values(entries)
          .map((e) => e.ip)
          .filter(Boolean) as string[];
        const allocated = [...plan.values()].map((p) => p.ip).filter(Boolean) as string[];
        expect(new Set(allocated).size).toBe(allocated.length);
        for (const a of allocated) {
          expect(explicit).not.toContain(a);
          expect(ipPlacementProblem(ip(a), net16)).toBeUndefined();
          expect(a.endsWith('.0') || a.endsWith('.255')).toBe(false);
        }
        const ports = [...plan.values()].map((p) => p.ssh_reverse_proxy_port!);
        expect(new Set(ports).size).toBe(vms.length);
        expect(Math.min(...ports)).toBe(40000);
      }),
    );
  });
  it('is deterministic: the same result whatever the order of entries in the file', () => {
    fc.assert(
      fc.property(
        names.chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray(n, { minLength: n.length, maxLength: n.length }))),
        ([a, b]) => {
          const pa = planNode(model('cn', Object.fromEntries(a.map((n) => [n, {}]))), 'cn', builtinDefaults('prod'), {});
          const pb = planNode(model('cn', Object.fromEntries(b.map((n) => [n, {}]))), 'cn', builtinDefaults('prod'), {});
          expect(Object.fromEntries(pb)).toEqual(Object.fromEntries(pa));
          const sorted = [...a].sort();
          expect(pa.get(sorted[0]!)?.ip).toBe('10.5.0.2');
        },
      ),
    );
  });
  it('says which IP a VM gets when written now: its stored one, else what the write plans for it in name order', () => {
    const m = model('cn', { 'b.example.com': {}, 'c.example.com': { ip: '10.5.0.3' } });
    const d = builtinDefaults('prod');
    // after b (pending: .2), when it comes after it by name
    expect(ipOnWriteOf(m, 'cn', 'x.example.com', d, {})).toBe('10.5.0.4');
    // before b by name: the first free address, and b's own comes after it
    expect(ipOnWriteOf(m, 'cn', 'a.example.com', d, {})).toBe('10.5.0.2');
    // b has one stored: it keeps it, and a new VM is not given it
    expect(ipOnWriteOf(m, 'cn', 'b.example.com', d, { 'b.example.com': { ip: '10.5.0.9' } })).toBe('10.5.0.9');
    expect(ipOnWriteOf(m, 'cn', 'a.example.com', d, { 'b.example.com': { ip: '10.5.0.2' } })).toBe('10.5.0.4');
  });

  it('the IP said before the write is the one the write stores, whatever the names pending on the node', () => {
    const d = builtinDefaults('prod');
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,5}\.example\.com$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 8 }), name, fc.array(fc.boolean(), { maxLength: 8 }), (pending, vm, stored) => {
        const others = pending.filter((n) => n !== vm);
        const before = model('cn', Object.fromEntries(others.map((n) => [n, {}])));
        // some of the pending VMs already hold a stored IP (from an earlier write)
        const state = Object.fromEntries(others.flatMap((n, i) => (stored[i] ? [[n, { ip: `10.5.1.${i + 10}` }]] : [])));
        const said = ipOnWriteOf(before, 'cn', vm, d, state);
        const after = model('cn', Object.fromEntries([...others.map((n) => [n, {}]), [vm, { profile_type: 'dir' }]]));
        const written = allocateVm(after, 'cn', vm, d, state, { bytes: (n) => new Uint8Array(n).fill(7), int: () => 0 });
        expect(written[vm]?.ip).toBe(said);
      }),
    );
  });

  it('keeps stored values and plans around them', () => {
    const m = model('cn', { 'a.example.com': {}, 'b.example.com': {} });
    const plan = planNode(m, 'cn', builtinDefaults('prod'), { 'b.example.com': { ip: '10.5.0.2', ssh_reverse_proxy_port: 40000 } });
    expect(plan.get('a.example.com')).toEqual({ ip: '10.5.0.3', ssh_reverse_proxy_port: 40001 });
    expect(plan.has('b.example.com')).toBe(false);
  });
});

describe('ports, MACs and passwords', () => {
  it('picks the lowest free port in the range', () => {
    expect(firstFreePort(new Set([40000, 40001, 40003]), 40000, 50000)).toBe(40002);
    expect(firstFreePort(new Set([40000]), 40000, 40000)).toBeUndefined();
  });
  it('makes 00:16:3e MACs unique on the node', () => {
    let calls = 0;
    const seq = [new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]), new Uint8Array([0xab, 0xcd, 0xef])];
    const mac = generateMac(new Set(['00:16:3e:01:02:03']), () => seq[calls++]!);
    expect(mac).toBe('00:16:3e:ab:cd:ef');
    expect(calls).toBe(3);
  });
  it('makes 32-character alphanumeric passwords', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 32, maxLength: 32 }), (draws) => {
        let i = 0;
        const pw = generatePassword((max) => draws[i++]! % max);
        expect(pw).toMatch(/^[A-Za-z0-9]{32}$/);
      }),
    );
  });
});

describe('stored values', () => {
  it('are never released by a write: every stored value of the node stays taken, whoever it belongs to', () => {
    // a.example.com was allocated through another pillar (or its entry is commented out):
    // this pillar only has b.example.com, which must not get a's address, port or MAC.
    const m = model('cn', { 'b.example.com': {} });
    const state = {
      'a.example.com': { ip: '10.5.0.2', mac: '00:16:3e:00:00:01', password: 'x'.repeat(32), ssh_reverse_proxy_port: 40000 },
    };
    let k = 0;
    const random = { bytes: () => (k++ === 0 ? new Uint8Array([0, 0, 1]) : new Uint8Array([0, 0, 2])), int: () => 0 };
    const next = allocateVm(m, 'cn', 'b.example.com', builtinDefaults('prod'), state, random);
    expect(next['a.example.com']).toEqual(state['a.example.com']);
    expect(next['b.example.com']).toMatchObject({
      ip: '10.5.0.3',
      ssh_reverse_proxy_port: 40001,
      mac: '00:16:3e:00:00:02',
      pillar: 'test.sls',
    });
  });
  it('an explicit pillar value wins in the settings, and the stored one stays reserved until released', () => {
    const m = model('cn', { 'a.example.com': { ip: '10.5.0.9' }, 'b.example.com': {} });
    const state = { 'a.example.com': { ip: '10.5.0.2', mac: '00:16:3e:00:00:01' } };
    expect(planNode(m, 'cn', builtinDefaults('prod'), state).get('b.example.com')!.ip).toBe('10.5.0.3');
    expect(
      allocateVm(m, 'cn', 'a.example.com', builtinDefaults('prod'), state, { bytes: () => new Uint8Array(3), int: () => 0 })[
        'a.example.com'
      ]!.ip,
    ).toBe('10.5.0.2');
  });
  it('allocateVm fills exactly what is missing and keeps what is stored (sticky)', () => {
    const m = model('cn', { 'a.example.com': { password: 'given' }, 'b.example.com': {} });
    const random = { bytes: (n: number) => new Uint8Array(n).fill(7), int: () => 0 };
    const once = allocateVm(m, 'cn', 'b.example.com', builtinDefaults('prod'), {}, random);
    expect(once['b.example.com']).toEqual({
      ip: '10.5.0.3',
      ssh_reverse_proxy_port: 40001,
      mac: '00:16:3e:07:07:07',
      password: 'A'.repeat(32),
      pillar: 'test.sls',
    });
    const again = allocateVm(m, 'cn', 'b.example.com', builtinDefaults('prod'), once, {
      bytes: () => new Uint8Array([9, 9, 9]),
      int: () => 1,
    });
    expect(again).toEqual(once);
    const a = allocateVm(m, 'cn', 'a.example.com', builtinDefaults('prod'), once, { bytes: () => new Uint8Array([8, 8, 8]), int: () => 0 });
    expect(a['a.example.com']!.password).toBeUndefined();
    expect(a['a.example.com']!.ip).toBe('10.5.0.2');
  });
});

describe('small networks', () => {
  it('a /30 has one address for a VM (.2 with the gateway at .1), and says full only once it is taken', () => {
    const n = { net: networkOf(parseIPv4('10.9.0.0')!, 30), gateway: parseIPv4('10.9.0.1')! };
    expect(formatIPv4(firstFreeIp(n, new Set())!)).toBe('10.9.0.2');
    expect(firstFreeIp(n, new Set([parseIPv4('10.9.0.2')!]))).toBeUndefined();
    const high = { net: networkOf(parseIPv4('10.9.0.252')!, 30), gateway: parseIPv4('10.9.0.253')! };
    expect(formatIPv4(firstFreeIp(high, new Set())!)).toBe('10.9.0.254');
  });
});
