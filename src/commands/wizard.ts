import { ExitCode, UserError } from '../core/errors.js';
import { pillarContext } from './context.js';
import type { CommandInput } from './spec.js';
import { encryptedKeys } from './engine-setup.js';
import { readPrefs, wizardServices } from './wizard-services.js';

/**
 * `lxc-wizard` on a terminal. Ink is loaded here and nowhere else; without a terminal, in CI or
 * with --yes, nothing is ever prompted.
 */
export async function run(input: CommandInput): Promise<number> {
  const env = input.io.env;
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (!tty || env.CI) {
    throw new UserError(`the wizard needs a terminal, and ${!tty ? 'stdin or stdout is not one' : `CI is set (CI=${env.CI})`}`, {
      where: { field: 'lxc-wizard' },
      hint: 'provision without questions: lxc-wizard --yes --pillar FILE (or add entries with lxc-wizard add CN VM --pillar FILE)',
      exitCode: ExitCode.USAGE,
    });
  }
  const ctx = pillarContext(input);
  // Ink takes the longest to load: start it now, read the pillar meanwhile.
  const ui = input.values.plain === true ? import('./wizard-plain.js') : import('../ui/interactive.js');
  const passphrases = new Map<string, string>();
  let asked = false;
  const services = await wizardServices(input, ctx, passphrases, async (nodes) => {
    // Before Ink mounts: enquirer and Ink must never read the keyboard at the same time.
    const files = encryptedKeys(input, nodes);
    if (files.length) {
      const { askPassphrases } = await import('./passphrase.js');
      await askPassphrases(files, passphrases);
      asked = true;
    }
  });
  const prefs = readPrefs(env);
  const mod = await ui;
  return 'runPlain' in mod ? mod.runPlain(services, prefs) : mod.runWizard(services, { ...prefs, ownTerminal: asked });
}
