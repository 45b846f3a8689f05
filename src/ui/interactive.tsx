import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { render } from 'ink';
import { registerCleanup, runCleanup } from '../process/cleanup.js';
import type { WizardServices } from '../wizard/services.js';
import { App } from './App.js';

/**
 * Mount the wizard. Ctrl-C is the App's to handle (exitOnCtrlC off), console output is not
 * patched (nothing may write while Ink draws), and the cleanup registry unmounts it whatever
 * ends the process, so the terminal is always restored.
 */
export async function runWizard(services: WizardServices, opts: { advancedOpen: boolean; ownTerminal?: boolean }): Promise<number> {
  let code = 0;
  // After enquirer has read process.stdin (key passphrases), Ink gets a terminal stream of its own:
  // a prompt library's leftovers on process.stdin must not decide whether the UI hears keys.
  const tty = opts.ownTerminal ? new ReadStream(openSync('/dev/tty', 'r')) : undefined;
  const instance = render(
    <App
      services={services}
      advancedOpen={opts.advancedOpen}
      onExit={(c) => {
        code = c;
        instance.unmount();
      }}
    />,
    { exitOnCtrlC: false, patchConsole: false, ...(tty ? { stdin: tty } : {}) },
  );
  const unregister = registerCleanup(() => instance.unmount());
  const onSignal = () => {
    code = 130;
    instance.unmount();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    unregister();
    tty?.destroy();
    await runCleanup();
  }
  return code;
}
