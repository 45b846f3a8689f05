import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';
import { withLock } from './lock.js';

describe('the pillar and store lock', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  beforeEach(async () => (s = await scratch()));
  afterEach(() => s.cleanup());

  const plant = async (path: string, owner: object, ageMs: number) => {
    await mkdir(`${path}.lock`);
    await writeFile(`${path}.lock/owner.json`, JSON.stringify(owner));
    const t = new Date(Date.now() - ageMs);
    await utimes(`${path}.lock`, t, t);
  };

  it('takes at once the lock of a holder that died on this host (SIGKILL)', async () => {
    const p = await s.file('p.sls', '');
    await plant(p, { pid: 2 ** 22 + 7, host: hostname(), command: 'lxc-wizard add', since: '' }, 0);
    const t0 = Date.now();
    expect(await withLock(p, async () => 'mine', { waitMs: 5000 })).toBe('mine');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("takes another host's lock only once it is stale, and waits for a fresh one, naming its holder and the time waited", async () => {
    const p = await s.file('p.sls', '');
    await plant(p, { pid: 1, host: 'elsewhere.example.net', command: 'lxc-wizard add x', since: '2026-11-25T10:00:00Z' }, 60_000);
    expect(await withLock(p, async () => 'stale taken', { staleMs: 20_000 })).toBe('stale taken');
    await plant(p, { pid: 1, host: 'elsewhere.example.net', command: 'lxc-wizard add x', since: '2026-11-25T10:00:00Z' }, 0);
    const t0 = Date.now();
    await expect(withLock(p, async () => 'never', { waitMs: 1200, staleMs: 20_000 })).rejects.toThrow(
      /is locked by pid 1 on elsewhere\.example\.net \(`lxc-wizard add x`\) since 2026-11-25T10:00:00Z; waited 1 s/,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1200);
  });

  it('serialises writers in one process and releases on error', async () => {
    const p = await s.file('p.sls', '');
    const order: string[] = [];
    const slow = withLock(p, async () => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 200));
      order.push('a end');
    });
    await new Promise((r) => setTimeout(r, 20));
    await withLock(p, async () => void order.push('b'));
    await slow;
    expect(order).toEqual(['a start', 'a end', 'b']);
    await expect(withLock(p, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(p, async () => 'free again', { waitMs: 500 })).toBe('free again');
  });
});
