import { describeError, ExitCode, formatWhere, type ErrorReport } from '../core/errors.js';
import { formatFinding, type Finding } from '../core/findings.js';
import { printable, safeJson } from '../core/printable.js';

/** The process's streams and environment, injectable so commands run in-process under test. */
export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  env: NodeJS.ProcessEnv;
  stderrIsTTY: boolean;
  cwd: string;
}

const CODES = { red: [31, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;

/**
 * Data goes to stdout; messages, warnings and errors to stderr (clig.dev, Shopify cli-kit). Every
 * text passes `printable` first: names and values from a pillar never drive the terminal.
 */
export class Output {
  readonly color: boolean;
  /** --json: errors are also one JSON document on stdout */
  json = false;
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
    const t = printable(s);
    this.io.stdout(t.endsWith('\n') ? t : t + '\n');
  }

  /** One JSON document on stdout. */
  document(value: unknown): void {
    this.io.stdout(safeJson(value) + '\n');
  }

  info(s: string): void {
    this.io.stderr(printable(s) + '\n');
  }

  warn(s: string): void {
    this.io.stderr(`${this.paint('yellow', 'warning:')} ${printable(s)}\n`);
  }

  finding(f: Finding, to: 'stdout' | 'stderr' = 'stderr'): void {
    let text = printable(formatFinding(f));
    const label = f.severity === 'error' ? 'red' : f.severity === 'warning' ? 'yellow' : 'dim';
    text = text.replace(`${f.severity}[`, `${this.paint(label, f.severity)}[`);
    (to === 'stdout' ? this.io.stdout : this.io.stderr)(text + '\n');
  }

  /** Print any error and pick the exit code: the operator's to fix (message, where, hint), or a bug (with its stack). */
  fail(err: unknown): number {
    const r = describeError(err);
    this.io.stderr(errorText(r, (s, t) => this.paint(s, t)));
    if (this.json) this.document({ ok: false, error: errorJson(r) });
    return r.exitCode ?? ExitCode.FAILURE;
  }
}

export function errorText(r: ErrorReport, paint: (style: 'red' | 'dim', s: string) => string = (_s, t) => t): string {
  const where = formatWhere(r.where);
  // A path from argv or the environment may hold a newline: in `where` it is escaped like any
  // control character, and every further line of a message is indented, so nothing in it can
  // stand as a line of its own (a forged `error:` or `hint:`).
  let out = `${paint('red', r.kind === 'bug' ? 'internal error:' : 'error:')} ${indented(printable((where ? escapeLines(where) + ': ' : '') + r.message))}\n`;
  if (r.kind === 'bug' && r.stack) out += paint('dim', printable(r.stack)) + '\n';
  if (r.hint) out += `  hint: ${indented(printable(r.hint))}\n`;
  return out;
}

export function errorJson(r: ErrorReport): Record<string, unknown> {
  return {
    kind: r.kind,
    message: r.message,
    ...(r.where ? { where: r.where } : {}),
    ...(r.hint ? { hint: r.hint } : {}),
    exitCode: r.exitCode,
  };
}

/**
 * Continuation lines of a message, indented under its first. Our multi-line messages indent their
 * continuations; a newline followed by anything else came from a name or a path, and is shown
 * escaped, like any control character.
 */
function indented(s: string): string {
  return s.replace(/\n(?=[^ \n])/g, '\\x0a').replace(/\n(?!$)/g, '\n  ');
}

/** A place (file:line, a flag) on one line: its newlines and tabs shown escaped. */
function escapeLines(s: string): string {
  return s.replace(/[\n\r\t]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
