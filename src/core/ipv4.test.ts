import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastOf, formatIPv4, inNetwork, macProblem, networkOf, parseIPv4, parseNetmask } from './ipv4.js';

describe('IPv4', () => {
  it('round-trips every address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIPv4(parseIPv4(s)!)).toBe(s);
      }),
    );
  });
  it('refuses leading zeros, out-of-range parts and junk', () => {
    for (const s of ['010.5.0.1', '10.5.0.256', '10.5.0', '10.5.0.1.2', ' 10.5.0.1', '10.5.0.1;id', '1e1.0.0.1'])
      expect(parseIPv4(s)).toBeUndefined();
  });
  it('computes the network and broadcast of 10.5/16', () => {
    const net = networkOf(parseIPv4('10.5.10.17')!, 16);
    expect(formatIPv4(net.base)).toBe('10.5.0.0');
    expect(formatIPv4(broadcastOf(net))).toBe('10.5.255.255');
    expect(inNetwork(parseIPv4('10.5.200.1')!, net)).toBe(true);
    expect(inNetwork(parseIPv4('10.6.0.1')!, net)).toBe(false);
  });
  it('reads netmasks as a prefix or a dotted mask', () => {
    expect(parseNetmask(16)).toBe(16);
    expect(parseNetmask('16')).toBe(16);
    expect(parseNetmask('255.255.0.0')).toBe(16);
    expect(parseNetmask('255.0.255.0')).toBeUndefined();
    expect(parseNetmask(33)).toBeUndefined();
  });
  it('checks MAC addresses', () => {
    expect(macProblem('00:16:3e:00:f1:81')).toBeUndefined();
    expect(macProblem('00:16:3E:00:F1:81')).toContain('lower-case');
    expect(macProblem('01:16:3e:00:f1:81')).toContain('multicast');
    expect(macProblem('00:16:3e:00:f1')).toBeDefined();
  });
});
