import { unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { ExitCode, UserError } from '../core/errors.js';
import { registerCleanup, runCleanup } from '../engine/cleanup.js';
import { lastLine, NodeSession } from '../engine/node-session.js';
import { editNodeHosts, nodeHostsMarkers } from '../engine/steps/hostsfile.js';
import { removeBlock } from '../engine/steps/context.js';
import { writeFileAtomic } from '../pillar-writer/atomic-write.js';
import { unifiedDiff } from '../pillar-writer/diff.js';
import { removeVmText } from '../pillar-writer/edit.js';
import { withLock } from '../pillar-writer/lock.js';
import { readPillar } from '../pillar-writer/read.js';
import { loadPillar, pillarContext } from './context.js';
import { transportFactory } from './engine-setup.js';
import type { CommandInput } from './spec.js';

/** Where a salt master keeps minion keys, for both masters the controller may run. */
const MINION_KEY_DIRS = ['/etc/mastersalt/pki/master', '/etc/salt/pki/master'].flatMap((p) =>
  ['minions', 'minions_pre', 'minions_rejected', 'minions_denied'].map((d) => `${p}/${d}`),
);

async function confirm(input: CommandInput, question: string): Promise<boolean> {
  if (input.values.yes === true) return true;
  if (!process.stdin.isTTY || input.io.env.CI) {
    throw new UserError('destroy needs confirmation, and there is no terminal to ask on', {
      where: { field: '--yes' },
      hint: 'pass --yes to destroy without asking',
      exitCode: ExitCode.USAGE,
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Stop and destroy the container, remove its hosts block and minion key, release its values. */
export async function run(input: CommandInput): Promise<number> {
  const [vm] = input.args as [string];
  const { out, values } = input;
  const ctx = pillarContext(input);
  const { file } = await loadPillar(ctx);
  const entries = file.model.vms.filter((e) => e.name === vm && (!values.node || e.node === values.node));
  const node = (values.node as string | undefined) ?? entries[0]?.node;
  if (!node)
    throw new UserError(`VM '${vm}' is not in ${file.path}`, {
      where: { field: 'VM' },
      hint: 'pass --node CN to destroy a container the pillar does not list',
      exitCode: ExitCode.USAGE,
    });
  const forget = values.forget === true;
  if (forget && !entries.length)
    throw new UserError(`--forget: ${vm} has no entry on ${node} in ${file.path}`, {
      where: { field: '--forget' },
      exitCode: ExitCode.USAGE,
    });
  if (
    !(await confirm(
      input,
      `Destroy container ${vm} on ${node} (its root filesystem is deleted)${forget ? ' and remove its pillar entry' : ''}?`,
    ))
  ) {
    out.info('nothing was done');
    return ExitCode.OK;
  }

  const session = new NodeSession(transportFactory(input)(node), { dryRun: false });
  const unregister = registerCleanup(() => session.transport.close());
  try {
    const facts = await session.facts();
    const c = facts.containers.get(vm);
    if (c) {
      if (c.state !== 'STOPPED') {
        const stop = await session.change(['lxc-stop', '-n', vm, '-k'], { timeoutS: 120 });
        if (stop.code !== 0) throw new UserError(`lxc-stop failed for ${vm} on ${node}: ${lastLine(stop)}`);
      }
      const destroyed = await session.change(['lxc-destroy', '-n', vm], { timeoutS: 600 });
      if (destroyed.code !== 0)
        throw new UserError(`lxc-destroy failed for ${vm} on ${node}: ${lastLine(destroyed)}`, {
          hint: 'a snapshot clone of this container must be destroyed first',
        });
      out.info(`destroyed container ${vm} on ${node}`);
    } else out.info(`no container ${vm} on ${node}`);

    const [start, end] = nodeHostsMarkers(vm);
    if (await editNodeHosts({ session, signal: new AbortController().signal }, (text) => removeBlock(text, start, end)))
      out.info(`removed ${vm} from /etc/hosts on ${node}`);
  } finally {
    await runCleanup();
    unregister();
  }

  // The controller is this host: its masters' keys for the VM go too.
  for (const dir of MINION_KEY_DIRS) {
    try {
      await unlink(`${dir}/${vm}`);
      out.info(`removed minion key ${dir}/${vm}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  await ctx.store.values.update(node, (s) => {
    const { [vm]: _released, ...rest } = s;
    return rest;
  });
  await ctx.store.ledger.update(node, (l) => {
    const { [vm]: _gone, ...rest } = l;
    return rest;
  });
  out.info(`released the IP, MAC, password and ssh port of ${vm}`);

  if (forget) {
    const diff = await withLock(file.path, async () => {
      const current = await readPillar(file.path);
      const next = removeVmText(current, node, vm);
      await writeFileAtomic(current.path, next, { expectedSha256: current.sha256, backup: values.backup === true });
      return unifiedDiff(current.path, current.text, next);
    });
    out.data(diff);
    out.info(`removed ${vm} from ${file.path}`);
  }
  return ExitCode.OK;
}
