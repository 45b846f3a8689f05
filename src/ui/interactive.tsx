import { render } from 'ink';
import { registerCleanup, runCleanup } from '../engine/cleanup.js';
import type { WizardServices } from '../wizard/services.js';
import { App } from './App.js';

/**
 * Mount the wizard. Ctrl-C is the App's to handle (exitOnCtrlC off), console output is not
 * patched (nothing may write while Ink draws), and the cleanup registry unmounts it whatever
 * ends the process, so the terminal is always restored.
 */
export async function runWizard(services: WizardServices, opts: { advancedOpen: boolean }): Promise<number> {
  let code = 0;
  const instance = render(
    <App
      services={services}
      advancedOpen={opts.advancedOpen}
      onExit={(c) => {
        code = c;
        instance.unmount();
      }}
    />,
    { exitOnCtrlC: false, patchConsole: false },
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
    await runCleanup();
  }
  return code;
}
