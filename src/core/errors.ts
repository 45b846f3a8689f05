/** Named exit codes: scripts around lxc-wizard branch on these. */
export const ExitCode = {
  OK: 0,
  /** validation errors, a refused write, a VM not found, a failed step */
  FAILURE: 1,
  /** usage error or missing input: unknown flag, missing --pillar, unreadable file, a bad flag value */
  USAGE: 2,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface Where {
  file?: string;
  line?: number;
  /** a pillar field, a flag (`--ip`) or an argument (`VM`) */
  field?: string;
  /** the compute node an error happened on */
  node?: string;
}

export interface UserErrorOptions {
  where?: Where;
  hint?: string;
  exitCode?: ExitCode;
}

/**
 * The one error family: anything the operator can fix (a bad flag, a refused write, an
 * unreachable node, a failed step) carries a message, where it happened and a hint, and prints
 * without a stack. Anything else reaching the top is a bug in lxc-wizard.
 */
export class UserError extends Error {
  readonly where: Where | undefined;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  constructor(message: string, opts: UserErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.where = opts.where;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? ExitCode.FAILURE;
  }
}

/** Ctrl-C, SIGTERM or an abort: what was running stopped, and the exit status is 130. */
export class InterruptedError extends UserError {
  constructor(message = 'interrupted', opts: Omit<UserErrorOptions, 'exitCode'> = {}) {
    super(message, { ...opts, exitCode: ExitCode.INTERRUPTED });
  }
}

export function formatWhere(w: Where | undefined): string {
  if (!w) return '';
  const parts: string[] = [];
  if (w.file) parts.push(w.line ? `${w.file}:${w.line}` : w.file);
  if (w.node && !w.file) parts.push(`node ${w.node}`);
  if (w.field) parts.push(w.field);
  return parts.join(': ');
}

/** What every front end (plain text, --json, the Ink error view) shows of an error. */
export interface ErrorReport {
  kind: 'user' | 'bug';
  message: string;
  where?: Where;
  hint?: string;
  exitCode: ExitCode;
  /** only for bugs: the operator can fix nothing, a developer needs the trace */
  stack?: string;
}

export function describeError(err: unknown): ErrorReport {
  if (err instanceof UserError) {
    return {
      kind: 'user',
      message: err.message,
      exitCode: err.exitCode,
      ...(err.where ? { where: err.where } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    kind: 'bug',
    message: e.message,
    exitCode: ExitCode.FAILURE,
    hint: 'this is a bug in lxc-wizard; nothing was written after the failure point. Please report it with the lines above.',
    ...(e.stack ? { stack: e.stack.split('\n').slice(1).join('\n') } : {}),
  };
}

/**
 * A system error about a file (EACCES, ENOSPC, EROFS…) as the operator's to fix: what was tried,
 * on which path, and what to do. Codes we do not know stay bugs (rethrown as they are).
 */
export function fileError(err: unknown, path: string, action: string, opts: { field?: string; exitCode?: ExitCode } = {}): Error {
  const code = (err as { code?: string } | undefined)?.code;
  const hint = code ? FILE_HINTS[code] : undefined;
  if (!hint) return err instanceof Error ? err : new Error(String(err));
  const reason = FILE_REASONS[code!] ?? code!;
  return new UserError(`cannot ${action} ${path}: ${reason}`, {
    where: { file: path, ...(opts.field ? { field: opts.field } : {}) },
    hint: hint(path),
    exitCode: opts.exitCode ?? ExitCode.FAILURE,
  });
}

const FILE_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long for the file system',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'it does not exist',
  ELOOP: 'too many symbolic links',
  EMLINK: 'too many links',
  EEXIST: 'something else is already there',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is busy',
  EXDEV: 'it is on another file system',
};

const FILE_HINTS: Record<string, (p: string) => string> = {
  EACCES: (p) => `run as a user who may write ${p} and its directory (often root), or fix the permissions`,
  EPERM: (p) => `check the permissions and attributes of ${p} (lsattr shows an immutable flag)`,
  EROFS: () => 'remount the file system read-write, or work on a copy elsewhere',
  ENOSPC: () => 'free some space on that file system (df -h shows which), then run the command again',
  EDQUOT: () => 'free some space within your quota, then run the command again',
  ENAMETOOLONG: () => 'use a shorter name or path',
  EISDIR: (p) => `${p} must be a file, not a directory`,
  ENOTDIR: (p) => `check every directory on the way to ${p}`,
  ENOENT: (p) => `check the path ${p}`,
  ELOOP: (p) => `resolve the symbolic links around ${p}`,
  EMLINK: () => 'the directory holds too many entries',
  EEXIST: (p) => `move away what is at ${p}`,
  EBUSY: () => 'wait for the other program to finish, then run the command again',
  ETXTBSY: () => 'wait for the other program to finish, then run the command again',
  EXDEV: (p) => `keep ${p} and its directory on one file system`,
};
