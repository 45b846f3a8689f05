import { ExitCode } from '../core/errors.js';

/**
 * Ctrl-C and SIGTERM during work that can be cancelled: the first one aborts (running commands are
 * cancelled on the nodes, connections close), a second one quits at once with 130.
 */
export function onInterrupt(say: (message: string) => void): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(ExitCode.INTERRUPTED);
    say(`\n${sig}: stopping; running commands are cancelled on the nodes (again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
