import { describe, expect, it } from 'vitest';
import { LocalTransport } from './local-transport.js';
import { InterruptedError } from '../core/errors.js';

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
  it('kills the command when the run is aborted', async () => {
    const abort = new AbortController();
    const p = t.exec(['sleep', '30'], { timeoutS: 60, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
  });
});
