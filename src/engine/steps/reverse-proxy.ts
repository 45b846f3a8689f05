import { NET, forwardConf, forwardRule } from '../node-net.js';
import { lastLine } from '../node-session.js';
import { StepError, type Step, type StepContext } from './step.js';

/** The forward's conf file and the live rule, read in one round trip. */
async function current(ctx: StepContext): Promise<{ script: boolean; conf: string | undefined; table: string }> {
  const r = await ctx.session.query(
    [
      'sh',
      '-c',
      '[ -x "$1" ] && echo "@script"; [ -f "$2" ] && { echo "@conf"; cat -- "$2"; echo "@end"; }; echo "@table"; nft list table ip "$3" 2>/dev/null; true',
      'sh',
      NET.script,
      `${NET.forwards}/${ctx.vm}`,
      NET.table,
    ],
    { timeoutS: 30 },
  );
  const out = r.stdout;
  const conf = /@conf\n([\s\S]*?)@end\n/.exec(out)?.[1];
  return { script: out.startsWith('@script'), conf, table: out.slice(out.indexOf('@table') + 7) };
}

/**
 * `ssh_reverse_proxy_port` made real: connections to <node>:<port> reach the VM's port 22, through
 * a DNAT in lxc-wizard's own nftables table (kept across reboots by lxc-wizard-net.service).
 */
export const reverseProxy: Step = {
  name: 'reverse_proxy',
  async check(ctx) {
    if (ctx.dryRun && !(await ctx.session.facts()).containers.has(ctx.vm)) return false;
    const c = await current(ctx);
    return (
      c.conf === forwardConf(ctx.v.ssh_reverse_proxy_port, ctx.v.ip) &&
      c.table.includes(forwardRule(ctx.vm, ctx.v.ssh_reverse_proxy_port, ctx.v.ip))
    );
  },
  async apply(ctx) {
    const { v, vm, session, signal } = ctx;
    if (!ctx.dryRun && !(await current(ctx)).script) {
      throw new StepError(
        `node setup has not run on ${ctx.node} (no ${NET.script}), so nothing forwards ${v.ssh_reverse_proxy_port} to ${vm}`,
        `run lxc-wizard node setup ${ctx.node} --pillar FILE --yes (or --setup-nodes), then again`,
      );
    }
    ctx.progress(`${ctx.node}:${v.ssh_reverse_proxy_port} → ${v.ip}:22`);
    await session.writeFile(`${NET.forwards}/${vm}`, forwardConf(v.ssh_reverse_proxy_port, v.ip), { mode: '0644', signal });
    const r = await session.change(['sh', '-c', '"$1" ruleset | nft -f -', 'sh', NET.script], { timeoutS: 60, signal });
    if (r.code !== 0) throw new StepError(`cannot load the ssh forward of ${vm} on ${ctx.node}: ${lastLine(r)}`);
  },
};
