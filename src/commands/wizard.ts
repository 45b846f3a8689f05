import { encryptedKeys } from '../app/node-access.js';
import { askPassphrases } from '../app/passphrases.js';
import { readPrefs } from '../app/prefs.js';
import { wizardServices } from '../app/wizard-services.js';
import { openWorkspace } from '../app/workspace.js';
import { requireTerminal } from '../process/terminal.js';
import { flag, pathFlag, reachOptions, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/**
 * `lxc-wizard` on a terminal. Ink is loaded here and nowhere else; without a terminal, in CI or
 * with --yes, nothing is ever prompted.
 */
export async function run(input: CommandInput): Promise<number> {
  requireTerminal(
    input.io.env,
    'the wizard',
    'lxc-wizard',
    'provision without questions: lxc-wizard --yes --pillar FILE (or add entries with lxc-wizard add CN VM --pillar FILE)',
  );
  const ws = await openWorkspace(workspaceOptions(input));
  const reach = reachOptions(input);
  // Ink takes the longest to load: start it now, read the pillar meanwhile.
  const ui = flag(input, 'plain') ? import('../ui/plain/wizard-plain.js') : import('../ui/interactive.js');
  const passphrases = new Map<string, string>();
  let asked = false;
  const runOpts = {
    noSalt: flag(input, 'no-salt'),
    bootsaltScript: pathFlag(input, 'bootsalt-script'),
    sshPublicKeyFiles: input.values['ssh-pubkey'] as string[] | undefined,
    ...(pathFlag(input, 'master-pki') ? { masterPki: pathFlag(input, 'master-pki') } : {}),
  };
  const services = await wizardServices(ws, reach, runOpts, {
    passphrases,
    // Before Ink mounts: enquirer and Ink must never read the keyboard at the same time.
    beforeUi: async (nodes) => {
      const files = encryptedKeys(reach, nodes);
      if (files.length) {
        await askPassphrases(files, passphrases);
        asked = true;
      }
    },
  });
  const prefs = readPrefs(reach.stateHome);
  const mod = await ui;
  return 'runPlain' in mod ? mod.runPlain(services, prefs) : mod.runWizard(services, { ...prefs, ownTerminal: asked });
}
