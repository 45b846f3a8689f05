import { ExitCode, UserError } from '../core/errors.js';

/**
 * Whether the operator can be asked anything: stdin and stdout are terminals and CI is not set.
 * Without a terminal nothing is ever prompted; the caller names the flag that answers instead.
 */
export function canPrompt(env: NodeJS.ProcessEnv): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true && !env.CI;
}

export function requireTerminal(env: NodeJS.ProcessEnv, what: string, field: string, hint: string): void {
  if (canPrompt(env)) return;
  const why = process.stdin.isTTY !== true || process.stdout.isTTY !== true ? 'stdin or stdout is not one' : `CI is set (CI=${env.CI})`;
  throw new UserError(`${what} needs a terminal, and ${why}`, { where: { field }, hint, exitCode: ExitCode.USAGE });
}
