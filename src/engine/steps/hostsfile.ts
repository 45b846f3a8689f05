import { setTimeout as delay } from 'node:timers/promises';
import type { ExecResult } from '../transport.js';
import { lastLine, NodeSession, type BatchItem } from '../node-session.js';
import { readInVm, removeBlock, replaceBlock, StepError, type Step, type StepContext } from './step.js';

export const vmHostsMarkers = (vm: string) =>
  [`#-- start lxc dns ${vm}:: DO NOT EDIT --`, `#-- end lxc dns ${vm}:: DO NOT EDIT --`] as const;
/** One block per domain on the node (original-system.md §9.2); the VM's own name is its first domain. */
export const nodeHostsMarkers = (domain: string) =>
  [`#-- start virt dns ${domain}:: DO NOT EDIT --`, `#-- end virt dns ${domain}:: DO NOT EDIT --`] as const;

/**
 * The node's /etc/hosts with a block `<ip> <domain>` per domain. A block written by lxc-wizard
 * 0.1 (one block named after the VM, holding every domain) is the first domain's block:
 * replacing it with one line migrates it.
 */
export function nodeHostsText(text: string, ip: string, domains: readonly string[]): string {
  return domains.reduce((t, d) => replaceBlock(t, ...nodeHostsMarkers(d), [`${ip} ${d}`]), text);
}

export function removeNodeHosts(text: string, domains: readonly string[]): string {
  return domains.reduce((t, d) => removeBlock(t, ...nodeHostsMarkers(d)), text);
}

function wanted(ctx: StepContext, vmText: string, nodeText: string) {
  const [vs, ve] = vmHostsMarkers(ctx.vm);
  return {
    vm: replaceBlock(vmText, vs, ve, [`${ctx.v.gateway} ${ctx.node} ${ctx.vm}`]),
    node: nodeHostsText(nodeText, ctx.v.ip, ctx.v.domains),
  };
}

/**
 * Read-modify-write of the node's /etc/hosts: one VM at a time per node within a run, and against
 * other writers (a second lxc-wizard, an operator, VMs of other "nodes" on one machine) by a
 * compare-and-swap under flock on the node. A refused write brings the file back as it is now, so
 * the edit is made again on it at once: one round trip an attempt, a little apart from the other
 * writers. `before`: commands sent in the same round trip, ahead of the write (the VM's own
 * /etc/hosts).
 */
const CAS_ATTEMPTS = 20;

export async function editNodeHosts(
  ctx: Pick<StepContext, 'session' | 'signal'>,
  edit: (text: string) => string,
  before: { item: BatchItem; fail: (r: ExecResult) => Error; done: () => void }[] = [],
): Promise<boolean> {
  const { session } = ctx;
  return session.exclusive('/etc/hosts', async () => {
    let pending = before;
    let current = await session.nodeHostsFile();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const text = current ?? '';
      const next = edit(text);
      const write = next === text ? [] : [NodeSession.casWriteItem('/etc/hosts', current, next)];
      if (!pending.length && !write.length) return false;
      const results = await session.batch([...pending.map((p) => p.item), ...write], { signal: ctx.signal });
      pending.forEach((p, i) => {
        const r = results[i];
        if (!r || r.code !== 0) throw p.fail(r ?? results.at(-1)!);
        p.done();
      });
      pending = [];
      if (!write.length) return false;
      const r = results.at(-1)!;
      if (r.code === 0) {
        session.wrote('/etc/hosts', next);
        return true;
      }
      if (r.code !== 75) throw new StepError(`cannot write /etc/hosts on ${session.node}: ${lastLine(r)}`);
      current = NodeSession.casRefused(r);
      session.sawNodeFile('/etc/hosts', current);
      await delay(Math.random() * 25 * (attempt + 1), undefined, { signal: ctx.signal });
    }
    throw new StepError(
      `/etc/hosts on ${session.node} kept changing while lxc-wizard edited it`,
      'another process rewrites it in a loop: stop it, then run again',
    );
  });
}

/** A marked block in the VM's /etc/hosts and one in the compute node's: replaced, never duplicated. */
export const hostsfile: Step = {
  name: 'hostsfile',
  async check(ctx) {
    const vmText = (await readInVm(ctx, '/etc/hosts')) ?? '';
    const nodeText = await ctx.session.nodeHosts();
    const w = wanted(ctx, vmText, nodeText);
    return w.vm === vmText && w.node === nodeText;
  },
  // one round trip: the VM's file and the node's, together
  async apply(ctx) {
    const vmText = (await readInVm(ctx, '/etc/hosts')) ?? '';
    const w = wanted(ctx, vmText, '');
    const vmWrite =
      w.vm === vmText
        ? []
        : [
            {
              item: NodeSession.writeItem('/etc/hosts', w.vm, { vm: ctx.vm }),
              fail: (r: ExecResult) => new StepError(`cannot write /etc/hosts in ${ctx.vm}: ${lastLine(r)}`),
              done: () => ctx.session.wrote('/etc/hosts', w.vm, ctx.vm),
            },
          ];
    await editNodeHosts(ctx, (text) => wanted(ctx, '', text).node, vmWrite);
  },
};
