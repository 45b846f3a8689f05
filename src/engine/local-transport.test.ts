import { describe, expect, it } from 'vitest';
import { LocalTransport } from './local-transport.js';
import { InterruptedError } from '../core/errors.js';
import { MAX_OUTPUT_BYTES } from './transport.js';

describe('the local transport (compute node localhost)', () => {
  const t = new LocalTransport();
  it('runs argv without a shell, with stdin, split output, exit codes and streamed lines', async () => {
    const lines: string[] = [];
    const r = await t.exec(['sh', '-c', 'cat; echo out; echo err >&2; exit 3'], {
      stdin: 'in\n',
      timeoutS: 10,
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(r).toMatchObject({ code: 3, stdout: 'in\nout\n', stderr: 'err\n', timedOut: false });
    expect(lines).toEqual(['stdout:in', 'stdout:out', 'stderr:err']);
    expect((await t.exec(['echo', '$(id); `x`'], { timeoutS: 5 })).stdout).toBe('$(id); `x`\n');
  });
  it('ends a command at its deadline (exit 124, like timeout)', async () => {
    const started = Date.now();
    const r = await t.exec(['sleep', '30'], { timeoutS: 1 });
    expect(r).toMatchObject({ code: 124, timedOut: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });
  it('stops a command whose output passes the cap, and fails it saying so (never kept whole in memory)', async () => {
    expect(MAX_OUTPUT_BYTES).toBe(32 * 1024 * 1024);
    const small = new LocalTransport('localhost', 2 * 1024 * 1024);
    const r = await small.exec(['sh', '-c', 'head -c 50000000 /dev/zero | tr "\\0" a; echo never'], { timeoutS: 30 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/output too large \(more than 2 MB\): the command was stopped/);
    expect(r.stdout.length).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
  it('kills the command when the run is aborted', async () => {
    const abort = new AbortController();
    const p = t.exec(['sleep', '30'], { timeoutS: 60, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
  });
});
