import { loadRuleset, forwardConf, forwardRule } from '../node-net.js';
import { lastLine, NodeSession } from '../node-session.js';
import { StepError, type Step, type StepContext } from './step.js';

interface Current {
  script: boolean;
  conf: string | undefined;
  table: string;
}

/** What this run last saw of each VM's forward, per node session: a check after our own apply needs no read. */
const seen = new WeakMap<NodeSession, Map<string, Current>>();

/** The forward's conf file and the live rule, read in one round trip (or as this run left them). */
async function current(ctx: StepContext): Promise<Current> {
  const known = seen.get(ctx.session)?.get(ctx.vm);
  if (known) return known;
  // as preflight's read left them: conf and table in that round trip, the script in the facts
  const NET = ctx.session.net;
  const knownConf = ctx.session.knownNodeFile(`${NET.forwards}/${ctx.vm}`);
  const knownTable = ctx.session.knownTable(NET.table);
  if (knownConf && knownTable !== undefined)
    return { script: (await ctx.session.facts()).netSetUp, conf: knownConf.content, table: knownTable };
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

function remember(ctx: StepContext, c: Current): void {
  if (ctx.dryRun) return;
  const m = seen.get(ctx.session) ?? new Map<string, Current>();
  seen.set(ctx.session, m.set(ctx.vm, c));
}

/**
 * `ssh_reverse_proxy_port` made real: connections to <node>:<port> reach the VM's port 22, through
 * a DNAT in lxc-wizard's own nftables table (kept across reboots by its instance's unit).
 */
export const reverseProxy: Step = {
  name: 'reverse_proxy',
  async check(ctx) {
    if (ctx.dryRun && !(await ctx.session.facts()).containers.has(ctx.vm)) return false;
    const c = await current(ctx);
    remember(ctx, c);
    return (
      c.conf === forwardConf(ctx.v.ssh_reverse_proxy_port, ctx.v.ip) &&
      c.table.includes(forwardRule(ctx.vm, ctx.v.ssh_reverse_proxy_port, ctx.v.ip))
    );
  },
  async apply(ctx) {
    const { v, vm, session, signal } = ctx;
    const NET = session.net;
    if (!ctx.dryRun && !(await current(ctx)).script) {
      throw new StepError(
        `node setup has not run on ${ctx.node} (no ${NET.script}), so nothing forwards ${v.ssh_reverse_proxy_port} to ${vm}`,
        `run lxc-wizard node setup ${ctx.node} --pillar FILE --yes (or --setup-nodes), then again`,
      );
    }
    ctx.progress(`${ctx.node}:${v.ssh_reverse_proxy_port} → ${v.ip}:22`);
    // one round trip: the conf file, the table loaded from every conf, and the table as it is now
    const conf = forwardConf(v.ssh_reverse_proxy_port, v.ip);
    const [w, load] = await session.batch(
      [
        NodeSession.writeItem(`${NET.forwards}/${vm}`, conf),
        { argv: ['sh', '-c', `${loadRuleset(NET)} && nft list table ip "$2"`, 'sh', NET.script, NET.table] },
      ],
      { timeoutS: 60, signal },
    );
    if (!w || w.code !== 0) throw new StepError(`cannot write the ssh forward of ${vm} on ${ctx.node}: ${w ? lastLine(w) : 'not run'}`);
    if (!load || load.code !== 0)
      throw new StepError(`cannot load the ssh forward of ${vm} on ${ctx.node}: ${load ? lastLine(load) : 'not run'}`);
    remember(ctx, { script: true, conf, table: load.stdout });
  },
};
