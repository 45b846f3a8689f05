/** Named exit codes: scripts around lxc-wizard branch on these. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface Where {
  file?: string;
  line?: number;
  /** a pillar field, a flag (`--ip`) or an argument (`VM`) */
  field?: string;
}

/**
 * An error the operator can fix: printed as message + where + hint, never with a stack.
 * Anything that is not a UserError is a bug in lxc-wizard.
 */
export class UserError extends Error {
  readonly where: Where | undefined;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  constructor(message: string, opts: { where?: Where; hint?: string; exitCode?: ExitCode } = {}) {
    super(message);
    this.name = 'UserError';
    this.where = opts.where;
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? ExitCode.FAILURE;
  }
}

export function formatWhere(w: Where | undefined): string {
  if (!w) return '';
  const parts: string[] = [];
  if (w.file) parts.push(w.line ? `${w.file}:${w.line}` : w.file);
  if (w.field) parts.push(w.field);
  return parts.join(': ');
}
