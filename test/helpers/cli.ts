import { execFile } from 'node:child_process';
import { main } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process with captured streams (fast; no Ink, no child). */
export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    env: { ...opts.env },
    stderrIsTTY: opts.tty ?? false,
    cwd: opts.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

export const BIN = new URL('../../bin/lxc-wizard.js', import.meta.url).pathname;

/** Run the built binary as a user would. */
export function runBin(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...opts.env }, cwd: opts.cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
