import { ExitCode } from '../core/errors.js';
import { controllerSetup } from '../app/controller-setup.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { flag, pathFlag, requireSetup, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/** `lxc-wizard controller setup`: the seed's post_deploy_controller (salt-cloud's files for the fleet). */
export async function run(input: CommandInput): Promise<number> {
  const [action] = input.args as [string];
  const { out } = input;
  requireSetup(action, 'controller', 'lxc-wizard controller setup --pillar FILE [--out DIR] [--dry-run]');
  const ws = await openWorkspace(workspaceOptions(input));
  const loaded = await loadWorkspace(ws);
  const dryRun = flag(input, 'dry-run');
  const outDir = pathFlag(input, 'out');
  const r = await controllerSetup(ws, loaded, { ...(outDir ? { out: outDir } : {}), dryRun, showSecrets: flag(input, 'show-secrets') });
  if (flag(input, 'json')) {
    out.document({
      ok: true,
      dryRun,
      dir: r.dir,
      files: r.files.map((f) => ({ path: f.path, state: f.state, backup: f.backup })),
      notes: r.notes,
    });
    return ExitCode.OK;
  }
  const diffs = r.files.map((f) => f.diff).filter(Boolean);
  if (diffs.length) out.data(diffs.join('\n'));
  for (const f of r.files) {
    out.info(`${f.state.padEnd(11)} ${f.path}${f.backup ? ` (it was not lxc-wizard's: the previous content is in ${f.path}.bak)` : ''}`);
  }
  for (const n of r.notes) {
    out.warn(n.message);
    if (n.hint) out.info(`  hint: ${n.hint}`);
  }
  if (dryRun) out.info('dry run: nothing was written');
  return ExitCode.OK;
}
