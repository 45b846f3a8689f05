import { ExitCode, UserError } from '../core/errors.js';
import { publicKeys, transportFactory } from '../app/node-access.js';
import { provisionVms } from '../app/provision.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { onInterrupt } from '../process/interrupts.js';
import { runSummary } from './format.js';
import { flag, intFlag, pathFlag, reachOptions, stepsFlag, str, usageError, workspaceOptions } from './options.js';
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
  const dryRun = flag(input, 'dry-run');
  const json = flag(input, 'json');
  const opts = {
    dryRun,
    only: stepsFlag(input, 'only', false),
    from: stepsFlag(input, 'from', true)?.[0],
    concurrency: intFlag(input, 'concurrency', 4, 1, 64),
    noSalt: flag(input, 'no-salt'),
    bootsaltScript: pathFlag(input, 'bootsalt-script'),
    sshPublicKeys: await publicKeys(values['ssh-pubkey'] as string[] | undefined, reach.home),
    logPath: pathFlag(input, 'log-file'),
    stateHome: reach.stateHome,
    transport: transportFactory(reach),
    listeners: [],
    renderer: 'simple' as const,
  };
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

  const interrupt = onInterrupt((m) => out.info(m));
  let outcome;
  try {
    outcome = await provisionVms(ws, loaded, selected, { ...opts, signal: interrupt.signal });
  } finally {
    interrupt.dispose();
  }
  const { results, logPath, connections, plan } = outcome;
  const failed = results.filter((r) => !r.ok);
  if (json)
    out.document({
      ok: failed.length === 0,
      dryRun,
      logFile: logPath ?? null,
      connections,
      vms: results,
      ...(dryRun ? { commands: plan.byVm() } : {}),
    });
  else {
    out.data(dryRun ? plan.text() : runSummary(results));
    if (failed.length && logPath) out.info(`log: ${logPath}`);
  }
  if (interrupt.signal.aborted) return ExitCode.INTERRUPTED;
  return failed.length ? ExitCode.FAILURE : ExitCode.OK;
}
