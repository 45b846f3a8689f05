/** IPv4 as unsigned 32-bit numbers: exact network arithmetic without a dependency. */

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // '010' is octal to some tools and decimal to others: refuse the ambiguity.
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface Network {
  base: number;
  prefix: number;
}

export function networkOf(addr: number, prefix: number): Network {
  return { base: (addr & prefixMask(prefix)) >>> 0, prefix };
}

export function broadcastOf(net: Network): number {
  return (net.base | ~prefixMask(net.prefix)) >>> 0;
}

export function inNetwork(addr: number, net: Network): boolean {
  return (addr & prefixMask(net.prefix)) >>> 0 === net.base;
}

/** Accepts a prefix length (16) or a dotted mask (255.255.0.0). */
export function parseNetmask(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 32) return v;
  if (typeof v === 'string') {
    if (/^\d{1,2}$/.test(v)) return parseNetmask(Number(v));
    const n = parseIPv4(v);
    if (n === undefined) return undefined;
    const prefix = 32 - Math.log2((~n >>> 0) + 1);
    return Number.isInteger(prefix) && prefixMask(prefix) === n ? prefix : undefined;
  }
  return undefined;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
export function macProblem(mac: string): string | undefined {
  if (!MAC.test(mac)) return 'must be six lower-case hex pairs separated by colons (00:16:3e:12:ab:cd)';
  const first = parseInt(mac.slice(0, 2), 16);
  if (first & 1) return 'is a multicast address (the first byte must be even)';
  if (mac === '00:00:00:00:00:00') return 'is all zeros';
  return undefined;
}
