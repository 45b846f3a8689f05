import { readInVm, removeBlock, replaceBlock, type Step, type StepContext } from './step.js';

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

/** Read-modify-write of the node's /etc/hosts, one VM at a time per node. */
export async function editNodeHosts(ctx: Pick<StepContext, 'session' | 'signal'>, edit: (text: string) => string): Promise<boolean> {
  return ctx.session.exclusive('/etc/hosts', async () => {
    const text = (await ctx.session.readFile('/etc/hosts')) ?? '';
    const next = edit(text);
    if (next === text) return false;
    await ctx.session.writeFile('/etc/hosts', next, { mode: '0644', signal: ctx.signal });
    return true;
  });
}

/** A marked block in the VM's /etc/hosts and one in the compute node's: replaced, never duplicated. */
export const hostsfile: Step = {
  name: 'hostsfile',
  async check(ctx) {
    const vmText = (await readInVm(ctx, '/etc/hosts')) ?? '';
    const nodeText = (await ctx.session.readFile('/etc/hosts')) ?? '';
    const w = wanted(ctx, vmText, nodeText);
    return w.vm === vmText && w.node === nodeText;
  },
  async apply(ctx) {
    const vmText = (await readInVm(ctx, '/etc/hosts')) ?? '';
    const w = wanted(ctx, vmText, '');
    if (w.vm !== vmText) await ctx.session.writeFile('/etc/hosts', w.vm, { vm: ctx.vm, mode: '0644', signal: ctx.signal });
    await editNodeHosts(ctx, (text) => wanted(ctx, '', text).node);
  },
};
