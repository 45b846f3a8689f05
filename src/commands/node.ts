import { ExitCode, UserError } from '../core/errors.js';
import { hostnameProblem } from '../core/naming.js';
import { provisionOptions } from '../app/run-options.js';
import { provisionVms } from '../app/provision.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { onInterrupt } from '../process/interrupts.js';
import { runSummary } from './format.js';
import { runRows, runView } from './run-view.js';
import { flag, reachOptions, requireSetup, runFlags, usageError, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/** `lxc-wizard node setup CN`: the seed's install_vt, as tasks that check before they change. */
export async function run(input: CommandInput): Promise<number> {
  const [action, node] = input.args as [string, string];
  const { out } = input;
  requireSetup(action, 'node', 'lxc-wizard node setup CN --pillar FILE --yes');
  const np = hostnameProblem(node);
  if (np) throw usageError('CN', `compute node id '${node}' ${np}`, 'the compute node id is its minion id, a lower-case host name');
  const flags = runFlags(input);
  if (!flag(input, 'yes') && !flags.dryRun)
    throw usageError(
      '--yes',
      'node setup changes the compute node: confirm with --yes',
      `lxc-wizard node setup ${node} --pillar FILE --dry-run shows the commands first`,
    );
  const ws = await openWorkspace(workspaceOptions(input));
  const reach = reachOptions(input);
  const loaded = await loadWorkspace(ws);
  if (!loaded.file.model.nodes.has(node) && node !== 'localhost') {
    throw new UserError(`compute node '${node}' is not in ${loaded.file.path}`, {
      where: { field: 'CN' },
      hint: 'declare it (an entry under it, or makina-states.cloud.saltify.targets.CN), then run again',
    });
  }
  const view = await runView(input, runRows([], [node]), flags.dryRun);
  const interrupt = onInterrupt((m) => view.say(m));
  let outcome;
  try {
    const opts = await provisionOptions(ws, loaded, reach, flags, [node], interrupt.signal);
    opts.listeners.push(view.listener);
    outcome = await provisionVms(ws, loaded, [], opts);
  } finally {
    interrupt.dispose();
    await view.end(outcome?.logPath);
  }
  const failed = outcome.results.filter((r) => !r.ok);
  if (flag(input, 'json'))
    out.document({
      ok: !failed.length,
      dryRun: flags.dryRun,
      logFile: outcome.logPath ?? null,
      connections: outcome.connections,
      nodes: outcome.results,
      // the same plan the text prints, in the shape of provision's --json
      ...(flags.dryRun ? { commands: outcome.plan.byVm() } : {}),
    });
  else {
    out.data(flags.dryRun ? outcome.plan.text() : runSummary(outcome.results));
    if (failed.length && outcome.logPath) out.info(`log: ${outcome.logPath}`);
  }
  if (interrupt.signal.aborted) return ExitCode.INTERRUPTED;
  return failed.length ? ExitCode.FAILURE : ExitCode.OK;
}
