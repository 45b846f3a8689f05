import { resolve } from 'node:path';
import { withoutFetch } from '../ui/without-fetch.js';
import { encryptedKeys, mayAskPassphrases } from '../app/node-access.js';
import { askPassphrases } from '../app/passphrases.js';
import { readPrefs } from '../app/prefs.js';
import { wizardServices, type WizardRunOptions } from '../app/wizard-services.js';
import { openWorkspace } from '../app/workspace.js';
import { requireTerminal } from '../process/terminal.js';
import { flag, pathFlag, reachOptions, str, workspaceOptions } from './options.js';
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
  const options = workspaceOptions(input);
  const reach = reachOptions(input);
  // Ink takes the longest to load: start it now, read the pillar meanwhile.
  const ui = flag(input, 'plain') ? import('../ui/plain/wizard-plain.js') : withoutFetch(() => import('../ui/interactive.js'));
  const ws = await openWorkspace(options);
  const passphrases = new Map<string, string>();
  let asked = false;
  const template = str(input, 'origin-template');
  const runOpts: WizardRunOptions = {
    noSalt: flag(input, 'no-salt'),
    ...(pathFlag(input, 'bootsalt-script') ? { bootsaltScript: pathFlag(input, 'bootsalt-script') } : {}),
    ...(input.values['ssh-pubkey'] ? { sshPublicKeyFiles: input.values['ssh-pubkey'] as string[] } : {}),
    ...(pathFlag(input, 'master-pki') ? { masterPki: pathFlag(input, 'master-pki') } : {}),
    ...(template
      ? { originTemplate: { template, ...(str(input, 'origin-release') ? { release: str(input, 'origin-release')! } : {}) } }
      : {}),
    commandArgs: commandArgs(input),
  };
  const services = await wizardServices(ws, reach, runOpts, {
    passphrases,
    // Before Ink mounts: enquirer and Ink must never read the keyboard at the same time. Only
    // when a key could need it: the pillar's nodes are then read before the first frame.
    ...(mayAskPassphrases(reach)
      ? {
          beforeUi: async (nodes: string[]) => {
            const files = encryptedKeys(reach, nodes);
            if (files.length) {
              await askPassphrases(files, passphrases);
              asked = true;
            }
          },
        }
      : {}),
  });
  const prefs = readPrefs(reach.stateHome);
  const mod = await ui;
  const code = await ('runPlain' in mod ? mod.runPlain(services, prefs) : mod.runWizard(services, { ...prefs, ownTerminal: asked }));
  // a pillar that could not be read after the first screen ended the wizard: say why, as before it
  if (services.failure() !== undefined) throw services.failure();
  return code;
}

/**
 * The flags the wizard was started with that its equivalent commands must repeat to do the same:
 * the pillar's context for both (env, controller, store), how nodes are reached and what the run
 * uploads for the run. Paths absolute: the commands may be run from another directory.
 */
function commandArgs(input: CommandInput): { context: string[]; run: string[] } {
  const context: string[] = [];
  const run: string[] = [];
  for (const name of ['env', 'controller']) if (str(input, name)) context.push(`--${name}`, str(input, name)!);
  if (pathFlag(input, 'state-dir')) context.push('--state-dir', pathFlag(input, 'state-dir')!);
  for (const name of ['ssh-config', 'bootsalt-script', 'master-pki'])
    if (pathFlag(input, name)) run.push(`--${name}`, pathFlag(input, name)!);
  if (str(input, 'host-key-policy')) run.push('--host-key-policy', str(input, 'host-key-policy')!);
  for (const f of (input.values['ssh-pubkey'] as string[] | undefined) ?? []) run.push('--ssh-pubkey', resolve(input.io.cwd, f));
  if (flag(input, 'no-salt')) run.push('--no-salt');
  return { context, run };
}
