import { cloneCommand, createCommand, readNetwork, rewriteConfig } from '../lxc-dialect.js';
import { lastLine } from '../node-session.js';
import { StepError, type Step, type StepContext } from './context.js';

function wantedNetwork(ctx: StepContext) {
  const { v } = ctx;
  return { bridge: v.bridge, mac: v.mac, ip: v.ip, netmask: v.netmask, gateway: v.gateway, autostart: v.autostart, lxcConf: v.lxc_conf, lxcConfUnset: v.lxc_conf_unset };
}

async function configPath(ctx: StepContext): Promise<string> {
  return `${(await ctx.session.facts()).lxcPath}/${ctx.vm}/config`;
}

const resolvConf = (dns: string[]) => dns.map((d) => `nameserver ${d}`).join('\n') + '\n';

/** Create or clone the container as its profile type says, configure its network, start it. */
export const spawn: Step = {
  name: 'spawn',
  title: 'spawn',
  async check(ctx) {
    const f = await ctx.session.facts(true);
    const c = f.containers.get(ctx.vm);
    if (!c || c.state !== 'RUNNING') return false;
    const config = await ctx.session.readFile(await configPath(ctx));
    if (!config || rewriteConfig(config, f.generation, wantedNetwork(ctx)) !== config) return false;
    const dns = await ctx.session.readFile('/etc/resolv.conf', ctx.vm).catch(() => undefined);
    return dns === resolvConf(ctx.v.dnsservers);
  },
  async apply(ctx) {
    const { v, vm, type, session } = ctx;
    const f = await session.facts(true);
    if (!f.containers.has(vm)) {
      const argv =
        type.install === 'clone'
          ? cloneCommand(f.generation, { origin: v.from_container!, name: vm, backing: type.backing, snapshot: v.snapshot, vgname: v.vgname, fssize: v.size })
          : createCommand({ name: vm, template: v.image, backing: type.backing, vgname: v.vgname, fssize: v.size });
      ctx.progress(`${argv[0]} ${vm}`);
      const r = await session.change(argv, { timeoutS: 3600, signal: ctx.signal, onLine: (l) => ctx.progress(l) });
      if (r.code !== 0) throw new StepError(`${argv[0]} failed for ${vm}: ${lastLine(r)}`, `run it by hand on ${ctx.node} to see the whole output: ${argv.join(' ')}`);
    }
    const path = await configPath(ctx);
    const before = (await session.readFile(path)) ?? '';
    const after = rewriteConfig(before, f.generation, wantedNetwork(ctx));
    let changed = false;
    if (after !== before) {
      changed = before !== '';
      if (before) await session.change(['cp', '-p', path, `${path}.lxc-wizard-${new Date().toISOString().replace(/[:.]/g, '-')}`], { timeoutS: 30 });
      await session.writeFile(path, after, { mode: '0640', signal: ctx.signal });
      ctx.progress(`configured ${readNetwork(after, f.generation).ip} on ${v.bridge}`);
    }
    const state = (await session.facts(true)).containers.get(vm)?.state;
    if (state === 'RUNNING' && changed) {
      const stop = await session.change(['lxc-stop', '-n', vm], { timeoutS: 120, signal: ctx.signal });
      if (stop.code !== 0) throw new StepError(`lxc-stop failed for ${vm}: ${lastLine(stop)}`);
    }
    if (state !== 'RUNNING' || changed) {
      const start = await session.change(['lxc-start', '-n', vm, '-d'], { timeoutS: 120, signal: ctx.signal });
      if (start.code !== 0) throw new StepError(`lxc-start failed for ${vm}: ${lastLine(start)}`, `lxc-start -n ${vm} -F on ${ctx.node} shows why`);
      const wait = await session.change(['lxc-wait', '-n', vm, '-s', 'RUNNING', '-t', '60'], { timeoutS: 90, signal: ctx.signal });
      if (wait.code !== 0) throw new StepError(`${vm} did not reach RUNNING within 60 s`, `lxc-info -n ${vm} on ${ctx.node}`);
    }
    await session.writeFile('/etc/resolv.conf', resolvConf(v.dnsservers), { vm, mode: '0644', signal: ctx.signal });
  },
  async verify(ctx) {
    const c = (await ctx.session.facts(true)).containers.get(ctx.vm);
    if (c?.state !== 'RUNNING') throw new StepError(`${ctx.vm} is ${c?.state.toLowerCase() ?? 'missing'} after spawn`, `lxc-info -n ${ctx.vm} on ${ctx.node}`);
  },
};
