import { ExitCode } from '../core/errors.js';
import { forget, planForget } from '../app/forget.js';
import { openWorkspace } from '../app/workspace.js';
import { confirm } from '../process/prompts.js';
import { requireTerminal } from '../process/terminal.js';
import { flag, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/** Release stored values nothing uses any more, saying exactly which. */
export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const { out } = input;
  const ws = await openWorkspace(workspaceOptions(input));
  const plan = await planForget(ws, node, vm, { force: flag(input, 'force') });
  const names = Object.entries(plan.release).map(([k, v]) => `${k} ${v}`);
  if (!names.length) {
    out.info(
      `nothing to release: ${vm} is in ${ws.pillarPath} and uses every value the store holds for it (destroy --forget releases them with the entry)`,
    );
    return ExitCode.OK;
  }
  const what = `${names.join(', ')} of ${vm} on ${node}`;
  if (!flag(input, 'yes')) {
    requireTerminal(input.io.env, 'forget asks for confirmation, and', '--yes', 'pass --yes to release them without asking');
    if (!(await confirm(`Release ${what}? A container still using them would clash with the next VM that gets them.`))) {
      out.info('nothing was released');
      return ExitCode.OK;
    }
  }
  await forget(ws, plan);
  out.info(`released ${what}`);
  return ExitCode.OK;
}
