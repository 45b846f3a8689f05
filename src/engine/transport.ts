import type { Readable } from 'node:stream';
import { UserError } from '../core/errors.js';

/** Running a command on a compute node, whatever carries it (ssh2 or a local child process). */
export interface ExecOptions {
  /** file contents and secrets travel here, never in argv */
  stdin?: string | Buffer | Readable;
  timeoutS: number;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface Transport {
  /** what the operator calls this node: the compute node id */
  readonly node: string;
  exec(argv: readonly string[], opts: ExecOptions): Promise<ExecResult>;
  /**
   * `commands` will start at once for `key` (a VM) once what runs now ends: a transport that
   * prepares channels ahead has that many ready by then; 0 or 1 withdraws it.
   */
  expect?(key: string, commands: number): void;
  /** Start connecting now, for commands to come (a failure is reported by the first of them). */
  warm?(): void;
  close(): Promise<void>;
  /** connections opened so far (bench: one per node per run) */
  readonly connections: number;
}

/** The connection itself failed (dropped, refused, host key): not the command. The operator's to fix. */
export class TransportError extends UserError {
  constructor(message: string, hint?: string, node?: string) {
    super(message, { hint, ...(node ? { where: { node } } : {}) });
  }
}

/** Split a stream into lines, keeping the unfinished tail for the next chunk. */
export function lineSplitter(emit: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        emit(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
      }
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

/** At most `n` at once: OpenSSH refuses channels beyond MaxSessions (10 by default). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly n: number) {}
  /** how many are running now */
  get inUse(): number {
    return this.active;
  }
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * What one command may print (stdout and stderr together) before it is stopped: a node answering
 * hundreds of megabytes (a runaway command, a node that lies) would otherwise be kept whole in
 * memory. The biggest honest output, a node's facts with thousands of containers, is a few MB.
 */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/** Said on stderr of a command stopped for its output; the step fails with it as its cause. */
export function tooLarge(bytes: number): string {
  return `lxc-wizard: output too large (more than ${Math.round(bytes / (1024 * 1024))} MB): the command was stopped`;
}
