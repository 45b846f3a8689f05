import { ExitCode } from '../core/errors.js';
import { destroyTarget, destroyVm } from '../app/destroy.js';
import { transportFactory } from '../app/node-access.js';
import { openWorkspace } from '../app/workspace.js';
import { confirm } from '../process/prompts.js';
import { requireTerminal } from '../process/terminal.js';
import { flag, pathFlag, reachOptions, str, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/** Stop and destroy the container, remove its hosts block and minion key; --forget also the entry. */
export async function run(input: CommandInput): Promise<number> {
  const [vm] = input.args as [string];
  const { out } = input;
  const ws = await openWorkspace(workspaceOptions(input));
  const reach = reachOptions(input);
  const forget = flag(input, 'forget');
  const target = await destroyTarget(ws, vm, str(input, 'node'), forget);
  if (!flag(input, 'yes')) {
    requireTerminal(input.io.env, 'destroy asks for confirmation, and', '--yes', 'pass --yes to destroy without asking');
    const what = `Destroy container ${vm} on ${target.node} (its root filesystem is deleted)${forget ? ' and remove its pillar entry' : ''}?`;
    if (!(await confirm(what))) {
      out.info('nothing was done');
      return ExitCode.OK;
    }
  }
  const pki = pathFlag(input, 'master-pki');
  const diff = await destroyVm(
    ws,
    target,
    {
      forget,
      backup: flag(input, 'backup'),
      transport: transportFactory(reach),
      instance: reach.instance,
      ...(pki ? { masterPki: [pki] } : {}),
    },
    out,
  );
  if (diff !== undefined) out.data(diff);
  return ExitCode.OK;
}
