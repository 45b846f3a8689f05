import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRuleset, netPaths } from '../engine/node-net.js';
import { masterPkiDirs } from './controller-side.js';
import { storeLedger } from './ledger.js';
import { ExitCode, UserError } from '../core/errors.js';
import { childPath } from '../core/paths.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { lastLine, NodeSession } from '../engine/node-session.js';
import { editNodeHosts, removeNodeHosts } from '../engine/steps/hostsfile.js';
import type { Transport } from '../engine/transport.js';

import { writeFileAtomic } from '../pillar-writer/atomic-write.js';
import { pillarDiff } from '../pillar-writer/diff.js';
import { removeVm } from '../pillar-writer/edit.js';
import { withLock } from '../pillar-writer/lock.js';
import { readPillar } from '../pillar-writer/read.js';
import { registerCleanup } from '../process/cleanup.js';
import { loadWorkspace, type Reporter, type Workspace } from './workspace.js';

const KEY_SUBDIRS = ['minions', 'minions_pre', 'minions_rejected', 'minions_denied'];

export interface DestroyTarget {
  vm: string;
  node: string;
  /** the VM's domains (its name first): each has a block in the node's /etc/hosts */
  domains: string[];
  /** the VM has an entry on that node */
  inPillar: boolean;
}

/** Which container `destroy VM [--node CN]` means; both names are checked before they go anywhere. */
export async function destroyTarget(ws: Workspace, vm: string, node: string | undefined, forget: boolean): Promise<DestroyTarget> {
  const vmProblem = fqdnProblem(vm);
  if (vmProblem)
    throw new UserError(`VM name '${vm}' ${vmProblem}`, {
      where: { field: 'VM' },
      hint: 'the VM name is a lower-case FQDN',
      exitCode: ExitCode.USAGE,
    });
  const nodeProblem = node !== undefined ? hostnameProblem(node) : undefined;
  if (nodeProblem)
    throw new UserError(`compute node id '${node}' ${nodeProblem}`, { where: { field: '--node' }, exitCode: ExitCode.USAGE });
  const { file } = await loadWorkspace(ws);
  const entry = file.model.vms.find((e) => e.name === vm && (!node || e.node === node));
  const target = node ?? entry?.node;
  if (!target) {
    throw new UserError(`VM '${vm}' is not in ${file.path}`, {
      where: { field: 'VM' },
      hint: 'pass --node CN to destroy a container the pillar does not list',
    });
  }
  if (forget && !entry) throw new UserError(`--forget: ${vm} has no entry on ${target} in ${file.path}`, { where: { field: '--forget' } });
  const domains = Array.isArray(entry?.keys.domains)
    ? (entry.keys.domains as unknown[]).filter((d): d is string => typeof d === 'string' && !fqdnProblem(d))
    : [];
  return { vm, node: target, inPillar: entry !== undefined, domains: [vm, ...domains.filter((d) => d !== vm)] };
}

export interface DestroyOptions {
  forget: boolean;
  backup: boolean;
  transport: (node: string) => Transport;
  /** LXC_WIZARD_INSTANCE: whose node-side names (forwards, table) */
  instance?: string;
  /** the salt masters' pki directories whose minion keys for the VM go too */
  masterPki?: string[];
}

/**
 * The seed's `salt-cloud -d`: stop and destroy the container, remove its hosts block and minion
 * keys. Its generated values stay (a re-provision gets the same IP and password) unless --forget,
 * which also removes the pillar entry; the diff is returned.
 */
export async function destroyVm(ws: Workspace, t: DestroyTarget, o: DestroyOptions, out: Reporter): Promise<string | undefined> {
  const { vm, node } = t;
  const session = new NodeSession(o.transport(node), { dryRun: false, net: netPaths(o.instance) });
  const unregister = registerCleanup(() => session.transport.close());
  try {
    const c = (await session.facts()).containers.get(vm);
    // Touch only what the tool made: a container of this name without the tool's mark for it, that
    // no run of this state directory spawned, is someone's (a VM entry added over a hand-made one)
    if (c && c.owner !== vm && (await storeLedger(ws.store).get(node, vm)).spawn?.state !== 'done')
      throw new UserError(`a container ${vm} exists on ${node} and was not made by lxc-wizard; nothing was destroyed`, {
        where: { node },
        hint: `if it is yours to remove: lxc-destroy -f -n ${vm} on ${node}; or provision it with --adopt first, then destroy`,
      });
    if (c) {
      if (c.state !== 'STOPPED') {
        const stop = await session.change(['lxc-stop', '-n', vm, '-k'], { timeoutS: 120 });
        if (stop.code !== 0) throw new UserError(`lxc-stop failed for ${vm} on ${node}: ${lastLine(stop)}`, { where: { node } });
      }
      const destroyed = await session.change(['lxc-destroy', '-n', vm], { timeoutS: 600 });
      if (destroyed.code !== 0) {
        throw new UserError(`lxc-destroy failed for ${vm} on ${node}: ${lastLine(destroyed)}`, {
          where: { node },
          hint: 'a snapshot clone of this container must be destroyed first',
        });
      }
      out.info(`destroyed container ${vm} on ${node}`);
    } else out.info(`no container ${vm} on ${node}`);
    // the ssh forward (reverse_proxy): its conf goes, and the table is rebuilt without it
    const fwd = await session.change(
      [
        'sh',
        '-c',
        `[ -e "$2" ] || exit 3; rm -f -- "$2"; [ ! -x "$1" ] || { ${loadRuleset(session.net)}; }`,
        'sh',
        session.net.script,
        `${session.net.forwards}/${vm}`,
      ],
      { timeoutS: 60 },
    );
    if (fwd.code === 0) out.info(`removed the ssh forward of ${vm} on ${node}`);
    else if (fwd.code !== 3)
      throw new UserError(`cannot remove the ssh forward of ${vm} on ${node}: ${lastLine(fwd)}`, { where: { node } });
    if (await editNodeHosts({ session, signal: new AbortController().signal }, (text) => removeNodeHosts(text, t.domains))) {
      out.info(`removed ${vm} from /etc/hosts on ${node}`);
    }
  } finally {
    await session.transport.close();
    unregister();
  }

  // The controller is this host: its masters' keys for the VM go too, and a key still waiting here.
  await rm(childPath(join(ws.store.dir, 'lxc-wizard', 'minion-keys'), vm), { recursive: true, force: true });
  for (const pki of o.masterPki ?? masterPkiDirs()) {
    for (const sub of KEY_SUBDIRS) {
      const path = childPath(`${pki}/${sub}`, vm);
      try {
        await unlink(path);
        out.info(`removed minion key ${path}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      }
    }
  }
  await ws.store.ledger.update(node, (l) => {
    const { [vm]: _gone, ...rest } = l;
    return rest;
  });
  if (!o.forget) {
    if (t.inPillar)
      out.info(`kept the IP, MAC, password and ssh port of ${vm}: provisioning it again gives it the same ones (--forget releases them)`);
    return undefined;
  }
  const diff = await withLock(ws.pillarPath, async () => {
    const current = await readPillar(ws.pillarPath);
    const next = removeVm(current, node, vm);
    await writeFileAtomic(current.path, next.text, { expectedSha256: current.sha256, backup: o.backup, keepAttributes: true });
    return pillarDiff(current, next);
  });
  await ws.store.values.update(node, (s) => {
    const { [vm]: _released, ...rest } = s;
    return rest;
  });
  out.info(`removed ${vm} from ${ws.pillarPath} and released its IP, MAC, password and ssh port`);
  return diff;
}
