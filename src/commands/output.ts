import { ExitCode, formatWhere, UserError } from '../core/errors.js';
import { formatFinding, type Finding } from '../core/findings.js';

/** The process's streams and environment, injectable so commands run in-process under test. */
export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  env: NodeJS.ProcessEnv;
  stderrIsTTY: boolean;
  cwd: string;
}

const CODES = { red: [31, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;

/** Data goes to stdout; messages, warnings and errors to stderr (clig.dev, Shopify cli-kit). */
export class Output {
  readonly color: boolean;
  constructor(
    readonly io: Io,
    noColorFlag = false,
  ) {
    const env = io.env;
    this.color = io.stderrIsTTY && !noColorFlag && !(env.NO_COLOR ?? '') && env.TERM !== 'dumb' && env.FORCE_COLOR !== '0';
  }

  paint(style: keyof typeof CODES, s: string): string {
    const [a, b] = CODES[style];
    return this.color ? `\u001B[${a}m${s}\u001B[${b}m` : s;
  }

  data(s: string): void {
    this.io.stdout(s.endsWith('\n') ? s : s + '\n');
  }

  info(s: string): void {
    this.io.stderr(s + '\n');
  }

  warn(s: string): void {
    this.io.stderr(`${this.paint('yellow', 'warning:')} ${s}\n`);
  }

  finding(f: Finding, to: 'stdout' | 'stderr' = 'stderr'): void {
    let text = formatFinding(f);
    text = text.replace(`${f.severity}[`, `${this.paint(f.severity === 'error' ? 'red' : 'yellow', f.severity)}[`);
    (to === 'stdout' ? this.io.stdout : this.io.stderr)(text + '\n');
  }

  /** Print any error and pick the exit code: a UserError is the operator's to fix, anything else is a bug. */
  fail(err: unknown): number {
    if (err instanceof UserError) {
      const where = formatWhere(err.where);
      this.io.stderr(`${this.paint('red', 'error:')} ${where ? where + ': ' : ''}${err.message}\n`);
      if (err.hint) this.io.stderr(`  hint: ${err.hint}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    this.io.stderr(`${this.paint('red', 'internal error:')} ${e?.message ?? String(err)}\n`);
    if (e?.stack) this.io.stderr(this.paint('dim', e.stack.split('\n').slice(1).join('\n')) + '\n');
    this.io.stderr(
      '  hint: this is a bug in lxc-wizard; nothing was written after the failure point. Please report it with the lines above.\n',
    );
    return ExitCode.FAILURE;
  }
}
