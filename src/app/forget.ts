import { ExitCode, UserError } from '../core/errors.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import type { StoredVm } from '../core/model.js';
import { readPillar } from '../pillar-writer/read.js';
import { loadWorkspace, type Workspace } from './workspace.js';

/** The other pillar's entry for this VM, when that file is still there and lists it. */
async function elsewhere(file: string, node: string, vm: string): Promise<{ file: string; line: number } | undefined> {
  let other;
  try {
    other = await readPillar(file);
  } catch {
    return undefined; // gone, or unreadable: it holds no entry we can see
  }
  const e = other.model.vms.find((x) => x.node === node && x.name === vm);
  return e ? { file, line: e.line } : undefined;
}

export type ValueName = 'ip' | 'mac' | 'password' | 'ssh_reverse_proxy_port';
const VALUES: ValueName[] = ['ip', 'mac', 'password', 'ssh_reverse_proxy_port'];

export interface ForgetPlan {
  node: string;
  vm: string;
  /** what would be released, with the stored values (the password is never shown) */
  release: Partial<Record<ValueName, string | number>>;
  /** the VM still has an entry: only what that entry overrides is unused */
  inPillar: boolean;
}

/**
 * What `forget CN VM` would release: the stored values nothing uses. For a VM that is no longer in
 * the pillar, all of them; for one that is, only those its entry overrides (an explicit ip: makes
 * the stored IP unused). Values in use are never released: that is destroy --forget's job.
 */
export async function planForget(ws: Workspace, node: string, vm: string, o: { force?: boolean } = {}): Promise<ForgetPlan> {
  const np = hostnameProblem(node);
  if (np) throw new UserError(`compute node id '${node}' ${np}`, { where: { field: 'CN' }, exitCode: ExitCode.USAGE });
  const vp = fqdnProblem(vm);
  if (vp) throw new UserError(`VM name '${vm}' ${vp}`, { where: { field: 'VM' }, exitCode: ExitCode.USAGE });
  const loaded = await loadWorkspace(ws);
  const stored: StoredVm | undefined = loaded.store.get(node)?.[vm];
  if (!stored) {
    throw new UserError(`the store holds no values for ${vm} on ${node}`, {
      where: { file: ws.store.values.fileOf(node) },
      hint: 'lxc-wizard validate lists the stored values no entry uses',
    });
  }
  const entry = loaded.file.model.vms.find((e) => e.node === node && e.name === vm);
  // Pillars of one directory share the store: the one that allocated these values may still list
  // the VM (its entry's only password, its IP and port in use) though this one does not.
  if (!entry && stored.pillar && stored.pillar !== ws.pillarPath && !o.force) {
    const holder = await elsewhere(stored.pillar, node, vm);
    if (holder)
      throw new UserError(
        `${holder.file} still lists ${vm} on ${node} (line ${holder.line}), and it allocated these values: forgetting them here would take that entry's only password and hand its IP and port to the next VM; nothing was released`,
        {
          where: { file: holder.file, line: holder.line },
          hint: `remove ${vm} from ${holder.file} first (lxc-wizard destroy ${vm} --pillar ${holder.file} --forget), or --force if that entry is stale`,
        },
      );
  }
  const release: ForgetPlan['release'] = {};
  for (const k of VALUES) {
    if (stored[k] === undefined) continue;
    if (!entry || entry.keys[k] !== undefined) release[k] = k === 'password' ? '(hidden)' : stored[k];
  }
  return { node, vm, release, inPillar: entry !== undefined };
}

/** Release what the plan says, under the store's lock; what changed since the plan stays. */
export async function forget(ws: Workspace, plan: ForgetPlan): Promise<void> {
  await ws.store.values.update(plan.node, (state) => {
    const s = state[plan.vm];
    if (!s) return state;
    const kept: StoredVm = { ...s };
    for (const k of Object.keys(plan.release) as ValueName[]) delete kept[k];
    const next = { ...state };
    if (VALUES.some((k) => kept[k] !== undefined)) next[plan.vm] = kept;
    else delete next[plan.vm];
    return next;
  });
}
