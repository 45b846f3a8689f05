import { shQuote } from '../../core/shell-quote.js';
import { probeOnce } from './reachable.js';
import { dnsMarker } from './spawn.js';
import { StepError, VM_FILES, type Step, type StepContext } from './step.js';

/** What prepares a node: node setup, on its own or inside this run. */
function nodeSetupHint(ctx: StepContext, what: string): string {
  const pillar = ctx.opts.pillarPath ? shQuote(ctx.opts.pillarPath) : 'FILE';
  return `lxc-wizard node setup ${ctx.node} --pillar ${pillar} --yes ${what} (or run again with --setup-nodes)`;
}

/** Everything that would make spawn fail half-way, checked before anything changes. */
export const preflight: Step = {
  name: 'preflight',
  async check() {
    return false;
  },
  async apply(ctx) {
    const { v, node, vm } = ctx;
    const type = v.type;
    // A minion key to make: made now, off the main thread, while this step waits on the node
    // (RSA takes 100-300 ms of CPU); spawn accepts it once the container is up.
    const salt = ctx.opts.noSalt ? undefined : ctx.opts.controller;
    const newKey = salt && ctx.steps.includes('spawn') && !(await salt.keyAccepted(vm, v.mode));
    // refused before anything changes: spawn would make the container, then fail on the key
    const pki = newKey ? salt.pkiProblem(v.mode) : undefined;
    if (pki) throw new StepError(pki.message, pki.hint);
    if (newKey && !ctx.dryRun) salt.prepareMinionKey(vm);
    // The first VM of a node reads the facts and its own state in one round trip; the others (and
    // a run the wizard's probe prepared) have the facts already.
    const combined = !ctx.session.factsAsked;
    // whether its sshd answers already, tried once in the same read when the run ends with `reachable`
    const reach = ctx.steps.includes('reachable') && !ctx.dryRun ? probeOnce(v, ctx.session.net.script) : undefined;
    const f = combined
      ? await ctx.session.factsWithState(vm, {
          nodePaths: [`${ctx.session.net.forwards}/${vm}`],
          table: ctx.session.net.table,
          vmPaths: [...VM_FILES, dnsMarker(vm)],
          ...(reach ? { probe: reach } : {}),
        })
      : await ctx.session.facts();
    if (!f.lxcVersion)
      throw new StepError(`LXC is not installed on ${node} (lxc-create --version failed)`, nodeSetupHint(ctx, 'installs it'));
    ctx.progress(`LXC ${f.lxcVersion} (generation ${f.generation}), ${f.containers.size} containers`);
    if (!f.bridges.includes(v.bridge)) {
      throw new StepError(
        `bridge ${v.bridge} does not exist on ${node}`,
        `${nodeSetupHint(ctx, `makes it with ${v.gateway}/${v.netmask}, kept across reboots`)}; or set bridge: in the pillar`,
      );
    }
    // the ssh reverse proxy lives in what node setup installs: without it the run would stop after
    // spawn. A run that leaves reverse_proxy out (--only, --from) does not need it.
    if (!f.netSetUp && !ctx.dryRun && ctx.steps.includes('reverse_proxy'))
      throw new StepError(
        `node setup has not run on ${node} (no ${ctx.session.net.script}): nothing would forward ${v.ssh_reverse_proxy_port} to ${vm}`,
        nodeSetupHint(ctx, 'installs it with the bridge, forwarding and NAT'),
      );
    // Touch only what the tool made: a container of this name is this VM only when its config
    // carries the tool's mark for this name (or this state directory's ledger says a run made it,
    // before the mark existed). Anything else is someone's, and a typo must not cut it off its network.
    const mine = f.containers.get(vm);
    if (mine && mine.owner !== vm && !ctx.spawnedBefore && !ctx.opts.adopt) {
      throw new StepError(
        `a container ${vm} exists on ${node} and was not made by lxc-wizard${mine.owner ? ` (its mark names ${mine.owner}: a copy of it)` : ''}; nothing was changed`,
        `pick another name, or run again with --adopt to take it over (its network config is rewritten to ${v.bridge}, ${v.mac}, ${v.ip} and it is restarted)`,
      );
    }
    // a template lxc-create would not find (a path is the operator's business)
    if (!mine && type.install === 'create' && !v.image.includes('/') && !f.templates.includes(v.image)) {
      const near = f.templates.filter((t) => t[0] === v.image[0]);
      throw new StepError(
        `LXC template ${v.image} is not on ${node} (no /usr/share/lxc/templates/lxc-${v.image})`,
        f.templates.length
          ? `templates there: ${[...near, ...f.templates.filter((t) => !near.includes(t))].join(', ')} (set image:)`
          : `install lxc-templates on ${node} (${nodeSetupHint(ctx, 'does')}), or set image:`,
      );
    }
    if (!mine && type.install === 'clone') {
      const origin = f.containers.get(v.from_container ?? '');
      const stopped = [...f.containers.values()].filter((c) => c.state === 'STOPPED').map((c) => c.name);
      if (!origin)
        throw new StepError(
          `origin container ${v.from_container} does not exist on ${node}`,
          `${nodeSetupHint(ctx, 'copies it from the controller or makes it (--origin-template)')}${stopped.length ? `; stopped containers there: ${stopped.join(', ')} (set from_container:)` : '; or use a scratch profile type'}`,
        );
      if (origin.state !== 'STOPPED')
        throw new StepError(
          `origin container ${v.from_container} is ${origin.state.toLowerCase()} on ${node}; a clone needs it stopped`,
          `lxc-stop -n ${v.from_container} on ${node}`,
        );
    }
    if (type.backing === 'lvm' && !f.volumeGroups.includes(v.vgname ?? '')) {
      throw new StepError(
        `volume group ${v.vgname} does not exist on ${node}`,
        f.volumeGroups.length
          ? `volume groups there: ${f.volumeGroups.join(', ')} (set vgname:)`
          : 'create it (vgcreate), or use dir or overlayfs',
      );
    }
    // lxc-copy (LXC >= 2) takes no volume group: a copy lands in lxc.bdev.lvm.vg, a snapshot
    // beside its origin. Asked for another, it would silently use that one: refuse first.
    if (!mine && type.backing === 'lvm' && type.install === 'clone' && f.generation === 2 && v.vgname) {
      const originVg = vgOfRootfs(f.containers.get(v.from_container ?? '')?.rootfs);
      const lands = v.snapshot ? originVg : f.defaultVg;
      if (lands && lands !== v.vgname) {
        throw new StepError(
          `an LVM clone on ${node} would land in volume group ${lands}, not ${v.vgname}: ${v.snapshot ? `a snapshot stays in its origin's group` : 'lxc-copy copies into lxc.bdev.lvm.vg'}`,
          v.snapshot
            ? `clone an origin that lives in ${v.vgname}, or set vgname: ${lands}`
            : `set vgname: ${lands}, or set lxc.bdev.lvm.vg = ${v.vgname} in /etc/lxc/lxc.conf on ${node}, or use lvm-scratch (lxc-create takes --vgname)`,
        );
      }
    }
    for (const c of f.containers.values()) {
      if (c.name === vm) continue;
      if (c.ip && c.ip === v.ip)
        throw new StepError(
          `IP ${v.ip} is already used by container ${c.name} on ${node}`,
          `give ${vm} another ip:, or remove ip: to have a free one allocated`,
        );
      if (c.mac && c.mac === v.mac)
        throw new StepError(
          `MAC ${v.mac} is already used by container ${c.name} on ${node}`,
          `remove mac: from ${vm} to have another one generated`,
        );
    }
    // what every later check reads, in one round trip (a re-run that finds all in place costs this and the facts)
    if (!combined)
      await ctx.session.prefetchState(vm, {
        nodePaths: [`${f.lxcPath}/${vm}/config`, `${ctx.session.net.forwards}/${vm}`],
        table: f.netSetUp ? ctx.session.net.table : undefined,
        vmPaths: mine?.state === 'RUNNING' ? [...VM_FILES, dnsMarker(vm)] : [],
        ...(reach && mine?.state === 'RUNNING' ? { probe: reach } : {}),
      });
  },
};

/** The volume group of an LVM rootfs (lvm:/dev/<vg>/<lv> or /dev/<vg>/<lv>), or undefined. */
export function vgOfRootfs(rootfs: string | undefined): string | undefined {
  return rootfs ? /^(?:lvm:)?\/dev\/([^/]+)\/[^/]+$/.exec(rootfs.trim())?.[1] : undefined;
}
