import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';
import { sha256 } from './read.js';
import { scratch } from '../../test/helpers/pillar.js';

const ATOMIC = new URL('../../dist/pillar-writer/atomic-write.js', import.meta.url).href;

/** A pillar of `vms` entries, each tagged so old and new contents differ everywhere. */
function bigPillar(tag: string, vms = 40_000): string {
  const lines = ['makina-states.cloud.lxc.vms.cn.example.net:'];
  for (let i = 0; i < vms; i++)
    lines.push(`  # vm ${i} (${tag})`, `  vm${i}.example.com: {ip: 10.5.${(i >> 8) & 255}.${i & 255 || 1}, tag: ${tag}}`);
  return lines.join('\n') + '\n';
}

let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => (s = await scratch()));
afterEach(() => s.cleanup());

describe('atomic pillar writes', () => {
  it('keep the mode, refuse a file changed since it was read, and keep a .bak on request', async () => {
    const p = await s.file('p.sls', 'a: 1\n');
    await chmod(p, 0o640);
    await writeFileAtomic(p, 'a: 2\n', { expectedSha256: sha256('a: 1\n'), backup: true });
    expect(await readFile(p, 'utf8')).toBe('a: 2\n');
    expect(await readFile(p + '.bak', 'utf8')).toBe('a: 1\n');
    expect((await stat(p)).mode & 0o777).toBe(0o640);
    await expect(writeFileAtomic(p, 'a: 3\n', { expectedSha256: sha256('a: 1\n') })).rejects.toThrow(/changed since it was read/);
    expect(await readFile(p, 'utf8')).toBe('a: 2\n');
    expect((await readdir(s.dir)).sort()).toEqual(['p.sls', 'p.sls.bak']);
  });

  it('leave the old or the new file, never a partial one, when the writer is SIGKILLed mid-write (30 times)', async () => {
    const p = join(s.dir, 'big.sls');
    const A = bigPillar('old');
    const B = bigPillar('new');
    expect(A.length).toBeGreaterThan(2_000_000);
    await writeFile(p, A);
    const shaA = sha256(A);
    const shaB = sha256(B);
    const seen = { old: 0, new: 0 };
    let midWrite = 0;
    const child = `
      import { writeFileAtomic } from ${JSON.stringify(ATOMIC)};
      import { readFileSync } from 'node:fs';
      const [a, b] = [readFileSync(process.argv[1] + '.A', 'utf8'), readFileSync(process.argv[1] + '.B', 'utf8')];
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) await writeFileAtomic(process.argv[1], i % 2 ? a : b);
    `;
    await writeFile(p + '.A', A);
    await writeFile(p + '.B', B);
    for (let round = 0; round < 30; round++) {
      const proc = spawn(process.execPath, ['--input-type=module', '-e', child, p], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 150)));
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
      // A temp file left behind means the kill landed inside a write.
      if ((await readdir(s.dir)).some((n) => n.endsWith('.tmp'))) midWrite++;
      const now = sha256(await readFile(p, 'utf8'));
      expect([shaA, shaB]).toContain(now);
      seen[now === shaA ? 'old' : 'new']++;
    }
    expect(seen.old + seen.new).toBe(30);
    expect(midWrite).toBeGreaterThan(0);
    await writeFileAtomic(p, 'done: true\n');
    expect((await readdir(s.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
