import { entryOf } from '../core/entry.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { ExitCode } from '../core/errors.js';
import { openWorkspace } from '../app/workspace.js';
import { writeEntry } from '../app/write-entry.js';
import { choicesFromFlags } from './entry-flags.js';
import { flag, usageError, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const nodeProblem = hostnameProblem(node);
  if (nodeProblem)
    throw usageError('CN', `compute node id '${node}' ${nodeProblem}`, 'the compute node id is its minion id, a lower-case host name');
  const vmProblem = fqdnProblem(vm);
  if (vmProblem)
    throw usageError(
      'VM',
      `VM name '${vm}' ${vmProblem}`,
      'the VM name is its container name and minion id: a lower-case FQDN such as web01.example.com',
    );
  const ws = await openWorkspace(workspaceOptions(input));
  const dryRun = flag(input, 'dry-run');
  const { out } = input;
  const result = await writeEntry(ws, node, vm, entryOf(await choicesFromFlags(input)), {
    update: flag(input, 'update'),
    dryRun,
    backup: flag(input, 'backup'),
    forcePillar: flag(input, 'force-pillar'),
    reporter: out,
  });
  out.data(result.diff || '(no change)');
  if (dryRun) {
    out.info('dry run: nothing was written or allocated');
    return ExitCode.OK;
  }
  const a = result.allocated ?? {};
  const gen = [
    a.ip && `ip ${a.ip}`,
    a.mac && `mac ${a.mac}`,
    a.ssh_reverse_proxy_port && `ssh port ${a.ssh_reverse_proxy_port}`,
    a.password && 'a password',
  ].filter(Boolean);
  out.info(`wrote ${vm} on ${node} to ${ws.pillarPath}${gen.length ? `; kept in ${ws.store.values.fileOf(node)}: ${gen.join(', ')}` : ''}`);
  out.info(`see: lxc-wizard settings ${node} ${vm} --pillar ${ws.pillarPath}`);
  return ExitCode.OK;
}
