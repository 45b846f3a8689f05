import { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { InterruptedError } from '../core/errors.js';
import { lineSplitter, type ExecOptions, type ExecResult, type Transport, MAX_OUTPUT_BYTES, tooLarge } from './transport.js';

/** The compute node `localhost`: child processes, no shell. */
export class LocalTransport implements Transport {
  readonly connections = 0;
  constructor(
    readonly node = 'localhost',
    /** what one command may print before it is stopped (tests lower it) */
    private readonly maxOutput = MAX_OUTPUT_BYTES,
  ) {}

  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new InterruptedError());
      const started = performance.now();
      // Locally the deadline is ours to enforce: TERM, then KILL 5 s later (what `timeout
      // --kill-after=5` does on remote nodes), without one more process per command.
      const [cmd, ...args] = argv;
      // Its own process group, signalled as a whole: a `sh -c` that started others (a batch, a
      // pipeline) must not leave them running, holding its output open past the deadline.
      const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          child.kill(sig); // already gone, or no group of its own
        }
      };
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        kill('SIGTERM');
        setTimeout(() => kill('SIGKILL'), 5000).unref();
      }, opts.timeoutS * 1000);
      let stdout = '';
      let stderr = '';
      const out = lineSplitter((l) => opts.onLine?.(l, 'stdout'));
      const err = lineSplitter((l) => opts.onLine?.(l, 'stderr'));
      // bounded: past MAX_OUTPUT_BYTES the command is stopped and fails saying so
      let bytes = 0;
      let over = false;
      const take = (d: string) => {
        bytes += Buffer.byteLength(d);
        if (bytes <= this.maxOutput) return true;
        if (!over) {
          over = true;
          kill('SIGKILL');
        }
        return false;
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (!take(d)) return;
        stdout += d;
        out.push(d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (!take(d)) return;
        stderr += d;
        err.push(d);
      });
      const onAbort = () => kill('SIGTERM');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => reject(e));
      child.on('close', (code, signal) => {
        clearTimeout(deadline);
        opts.signal?.removeEventListener('abort', onAbort);
        out.end();
        err.end();
        if (opts.signal?.aborted) return reject(new InterruptedError());
        if (over)
          return resolve({
            code: 1,
            signal,
            stdout,
            stderr: `${stderr}${tooLarge(this.maxOutput)}\n`,
            durationMs: performance.now() - started,
            timedOut: false,
          });
        resolve({ code: timedOut ? 124 : code, signal, stdout, stderr, durationMs: performance.now() - started, timedOut });
      });
      child.stdin.on('error', () => undefined); // a command that does not read stdin closes it early
      if (opts.stdin instanceof Readable) opts.stdin.pipe(child.stdin);
      else child.stdin.end(opts.stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
