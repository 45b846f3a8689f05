import { ExitCode, UserError } from '../core/errors.js';
import { provisionOptions } from '../app/run-options.js';
import { provisionVms } from '../app/provision.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { onInterrupt } from '../process/interrupts.js';
import { runSummary } from './format.js';
import { runRows, runView } from './run-view.js';
import { flag, reachOptions, runFlags, str, usageError, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

export async function run(input: CommandInput): Promise<number> {
  const { values, out } = input;
  if (!flag(input, 'yes'))
    throw usageError(
      '--yes',
      'provisioning changes compute nodes: confirm with --yes',
      'lxc-wizard --yes --pillar FILE (add --dry-run to see the commands first)',
    );
  const ws = await openWorkspace(workspaceOptions(input));
  const reach = reachOptions(input);
  const flags = runFlags(input);
  const loaded = await loadWorkspace(ws);
  const { model } = loaded.file;
  const wantNode = str(input, 'node');
  const wantVms = (values.vm as string[] | undefined) ?? [];
  if (wantNode && !model.nodes.has(wantNode))
    throw new UserError(`compute node '${wantNode}' is not in ${model.file}`, {
      where: { field: '--node' },
      hint: 'lxc-wizard list shows the nodes',
    });
  for (const vm of wantVms) {
    if (!model.vms.some((e) => e.name === vm && (!wantNode || e.node === wantNode))) {
      throw new UserError(`VM '${vm}' is not in ${model.file}${wantNode ? ` on ${wantNode}` : ''}`, {
        where: { field: '--vm' },
        hint: 'lxc-wizard list shows the VMs',
      });
    }
  }
  const selected = model.vms.filter((e) => (!wantNode || e.node === wantNode) && (!wantVms.length || wantVms.includes(e.name)));
  if (!selected.length) throw new UserError(`no VM to provision in ${model.file}`, { hint: 'add one with lxc-wizard add CN VM' });
  const setupNodes = flag(input, 'setup-nodes') ? [...new Set(selected.map((e) => e.node))] : [];

  const view = await runView(input, runRows(selected, setupNodes, flags.only, flags.from), flags.dryRun);
  const interrupt = onInterrupt((m) => view.say(m));
  let outcome;
  try {
    const opts = await provisionOptions(ws, loaded, reach, flags, setupNodes, interrupt.signal);
    opts.listeners.push(view.listener);
    outcome = await provisionVms(ws, loaded, selected, opts);
  } finally {
    interrupt.dispose();
    await view.end(outcome?.logPath);
  }
  const { results, logPath, connections, plan, waysIn } = outcome;
  const failed = results.filter((r) => !r.ok);
  if (flag(input, 'json'))
    out.document({
      ok: failed.length === 0,
      dryRun: flags.dryRun,
      logFile: logPath ?? null,
      connections,
      vms: results.map((r) => (waysIn[`${r.name}@${r.node}`] ? { ...r, waysIn: waysIn[`${r.name}@${r.node}`] } : r)),
      ...(flags.dryRun ? { commands: plan.byVm() } : {}),
    });
  else {
    out.data(flags.dryRun ? plan.text() : runSummary(results, waysIn));
    if (failed.length && logPath) out.info(`log: ${logPath}`);
  }
  if (interrupt.signal.aborted) return ExitCode.INTERRUPTED;
  return failed.length ? ExitCode.FAILURE : ExitCode.OK;
}
