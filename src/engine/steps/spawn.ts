import { cloneCommand, createCommand, lxcCause, readMarks, readNetwork, rewriteConfig, writeMarks } from '../lxc-dialect.js';
import {
  busyboxRcS,
  guestReadArgv,
  guestWriteItem,
  ifupdownInterfaces,
  NETPLAN_FILE,
  NETWORKD_FILE,
  netplanYaml,
  networkdUnit,
  parseGuestRead,
  planGuestNet,
  type GuestNetWant,
} from '../guest-net.js';
import type { ExecResult } from '../transport.js';
import { lastLine, NodeSession, PROGRESS, VM_READ_SCRIPT, type BatchItem } from '../node-session.js';
import { readInVm, StepError, VM_FILES, type Step, type StepContext } from './step.js';

function wantedNetwork(ctx: StepContext) {
  const { v } = ctx;
  return {
    bridge: v.bridge,
    mac: v.mac,
    ip: v.ip,
    netmask: v.netmask,
    gateway: v.gateway,
    autostart: v.autostart,
    lxcConf: v.lxc_conf,
    lxcConfUnset: v.lxc_conf_unset,
  };
}

function guestWant(ctx: StepContext): GuestNetWant {
  const { v } = ctx;
  return { iface: 'eth0', ip: v.ip, prefix: v.netmask, gateway: v.gateway, dns: v.dnsservers };
}

/** The files inside a running VM that say its guest network is as spawn left it (VM_FILES reads them). */
export function guestNetInPlace(kind: string | undefined, read: (path: string) => string | undefined, w: GuestNetWant): boolean {
  const same = (path: string, make: (cur: string) => string) => {
    const cur = read(path);
    return cur !== undefined && make(cur) === cur;
  };
  switch (kind) {
    case 'ifupdown':
      return same('/etc/network/interfaces', (t) => ifupdownInterfaces(t, w.iface));
    case 'busybox':
      return same('/etc/init.d/rcS', busyboxRcS);
    case 'netplan':
      return read('/' + NETPLAN_FILE) === netplanYaml(w);
    case 'networkd':
      return read('/' + NETWORKD_FILE) === networkdUnit(w);
    case 'none':
      return true;
    default:
      return false; // never configured by this tool
  }
}

async function configPath(ctx: StepContext): Promise<string> {
  return `${(await ctx.session.facts()).lxcPath}/${ctx.vm}/config`;
}

/**
 * A systemd container is still booting when lxc-wait says RUNNING: systemd-tmpfiles then empties
 * /tmp under our feet. basic.target means sysinit (mounts, tmpfiles) is over; not waiting for the
 * full boot, which in images with a DHCP interface and no DHCP server takes a minute.
 *
 * One `systemctl start basic.target` waits for it: the job joins the one the boot queued (the
 * default target pulls basic.target in) and returns when it is done, or at once if it is. Asking
 * `is-active` every 50 ms instead cost ~20 ms of CPU a time (systemctl, sleep, a subshell): 40% of
 * a core per booting container, so 16 booting at once wanted three times this node's 2 cores and
 * slowed every boot. It is asked once PID 1 listens (its socket is there: until then a test and a
 * sleep, no systemctl); a "cannot connect" is still tried again, nothing else.
 *
 * Whether it is systemd: PID 1 names itself so once it runs, but just after lxc-wait it may still
 * be "init" (started as /sbin/init) or not started yet; the container's /sbin/init says what it
 * boots (attaching in a loop from the start: the first reads "init", the next "systemd"). Seen in
 * CI under load: the wait skipped on "init", systemd-tmpfiles then emptied /tmp while
 * initial_setup wrote the minion keys there. A container whose /sbin/init is systemd but whose
 * PID 1 is something else (lxc.init.cmd) has no socket after 10 s: nothing is waited for.
 */
export const BOOT_WAIT = `init=; { read -r init < /proc/1/comm; } 2>/dev/null
if [ "$init" = systemd ] || [ /sbin/init -ef /lib/systemd/systemd ] || [ /sbin/init -ef /usr/lib/systemd/systemd ]; then
  t=; command -v timeout >/dev/null && t="timeout 120"
  i=0
  while [ ! -S /run/systemd/private ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.05; done
  if [ -S /run/systemd/private ] || { { read -r init < /proc/1/comm; } 2>/dev/null; [ "$init" = systemd ]; }; then
    # what the wait is waiting for, every 5 s (the boot's jobs), never a silent wait. Its sleep
    # holds none of our pipes and is waited for interruptibly: killed, the ticker is gone at once,
    # and nothing holds the command's output open after the wait
    ( trap 'exit 0' TERM; n=0
      while [ $n -lt 300 ]; do
        sleep 5 </dev/null >/dev/null 2>&1 & wait $!; n=$((n+5))
        # builtins only past systemctl: the image may have no awk or head
        systemctl list-jobs --no-legend 2>/dev/null | { j=; c=0
          while read -r _ u _ st _; do [ $c -lt 3 ] && j="$j $u($st)"; c=$((c+1)); done
          echo "${PROGRESS}waiting for the boot (basic.target), $n s\${j:+:$j}" >&2; }
      done ) &
    tick=$!
    until out=$($t systemctl start basic.target 2>&1); do
      case $out in
        *"connect to bus"*) i=$((i+1)); if [ $i -lt 2400 ]; then sleep 0.05; continue; fi ;;
      esac
      kill $tick 2>/dev/null
      echo "basic.target not reached: \${out:-120 s passed} ($(systemctl is-system-running 2>&1))" >&2
      exit 1
    done
    kill $tick 2>/dev/null
  fi
fi`;

/**
 * In the container, in one lxc-attach: the boot waited for, the DNS servers written (marker $1,
 * servers on stdin), then the files named after the marker read (VM_READ_SCRIPT's frames): what
 * the next steps' checks look at, with no lxc-attach of their own.
 */
export const SETTLE = `${BOOT_WAIT}
# then the DNS servers, once: the original's intent (lxc.<name>.initial_dns). Later runs leave
# /etc/resolv.conf alone, whatever the VM made of it since (a symlink to a resolver's stub).
umask 022
if [ ! -e "$1" ]; then
  cat > /etc/resolv.conf.lxcw-tmp
  [ -d /etc/resolvconf/resolv.conf.d ] && cp /etc/resolv.conf.lxcw-tmp /etc/resolvconf/resolv.conf.d/base
  mv -f /etc/resolv.conf.lxcw-tmp /etc/resolv.conf 2>/dev/null || { cat /etc/resolv.conf.lxcw-tmp > /etc/resolv.conf; rm -f /etc/resolv.conf.lxcw-tmp; }
  : > "$1"
fi
shift
${VM_READ_SCRIPT}`;

/** The marker that says the DNS servers were written (original-system.md §5.4, step 6). */
export const dnsMarker = (vm: string) => `/.lxc.${vm}.initial_dns`;

const resolvConf = (dns: string[]) => dns.map((d) => `nameserver ${d}`).join('\n') + '\n';

/** Create or clone the container as its profile type says, configure its network, start it. */
export const spawn: Step = {
  name: 'spawn',
  async check(ctx) {
    const f = await ctx.session.facts();
    const c = f.containers.get(ctx.vm);
    if (!c || c.state !== 'RUNNING') return false;
    const path = await configPath(ctx);
    const config = ctx.session.knownNodeFile(path)?.content ?? (await ctx.session.readFile(path));
    if (!config || rewriteConfig(config, f.generation, wantedNetwork(ctx)) !== config) return false;
    const marks = readMarks(config);
    if (marks.owner !== ctx.vm) return false;
    // the guest's own network: as spawn wrote it, read inside the running VM with the other files
    if (!ctx.dryRun) await ctx.session.prefetch(ctx.vm, VM_FILES);
    const files = new Map<string, string | undefined>();
    for (const p of VM_FILES) files.set(p, await ctx.session.readFile(p, ctx.vm));
    if (!guestNetInPlace(marks.guest_net, (p) => files.get(p), guestWant(ctx))) return false;
    // The original's check: done when the minion key is accepted on the master (and the container is there).
    if (!ctx.opts.noSalt && ctx.opts.controller && !(await ctx.opts.controller.keyAccepted(ctx.vm, ctx.v.mode))) return false;
    return (await readInVm(ctx, dnsMarker(ctx.vm)).catch(() => undefined)) !== undefined;
  },
  async apply(ctx) {
    const { v, vm, session } = ctx;
    const type = v.type;
    const f = await session.facts();
    const path = await configPath(ctx);
    let before: string | undefined;
    /** what GUEST_FS read of its root filesystem */
    let guest: string | undefined;
    const existed = f.containers.has(vm);
    if (!existed) {
      const argv =
        type.install === 'clone'
          ? cloneCommand(f.generation, {
              origin: v.from_container!,
              name: vm,
              backing: type.backing,
              snapshot: v.snapshot,
              vgname: v.vgname,
              fssize: v.size,
            })
          : createCommand({ name: vm, template: v.image, backing: type.backing, vgname: v.vgname, fssize: v.size });
      ctx.progress(`${argv[0]} ${vm}`);
      // A clone says nothing while it copies: its new config is read in the same round trip. A
      // template prints its download and install, shown as they come.
      let r: ExecResult;
      if (type.install === 'clone') {
        const [made, read, guestRead] = await session.batch([{ argv }, NodeSession.readFileItem(path), { argv: guestReadArgv(path) }], {
          timeoutS: 3600,
          signal: ctx.signal,
        });
        r = made!;
        if (read?.code === 0) before = read.stdout;
        if (guestRead?.code === 0) guest = guestRead.stdout;
      } else r = await session.change(argv, { timeoutS: 3600, signal: ctx.signal, onLine: (l) => ctx.progress(l) });
      if (r.code !== 0)
        throw new StepError(
          `${argv[0]} failed for ${vm}: ${lxcCause(`${r.stderr}\n${r.stdout}`) ?? lastLine(r)}`,
          `the log file has its whole output; or run it by hand on ${ctx.node}: ${argv.join(' ')}`,
        );
      if (!ctx.opts.dryRun) await session.noteContainer(vm, { state: 'STOPPED' });
    }
    if (!ctx.dryRun && (before === undefined || guest === undefined)) {
      // a container made from a template (or already there): its config and root filesystem in one round trip
      const [read, guestRead] = await session.batch([NodeSession.readFileItem(path), { argv: guestReadArgv(path) }], {
        timeoutS: 120,
        signal: ctx.signal,
        readOnly: true,
      });
      if (read?.code === 0) before ??= read.stdout;
      if (guestRead?.code === 0) guest = guestRead.stdout;
      else if (guestRead) throw new StepError(`cannot read ${vm}'s root filesystem on ${ctx.node}: ${lastLine(guestRead)}`);
    }
    before ??= (await session.readFile(path)) ?? '';
    const plan = guest === undefined ? undefined : planGuestNet(parseGuestRead(guest), guestWant(ctx));
    const network = rewriteConfig(before, f.generation, wantedNetwork(ctx));
    // the marks: made (or adopted) by this tool under this name, and how its guest network is set
    const after = writeMarks(network, { owner: vm, ...(plan ? { guest_net: plan.kind } : {}) });
    const state = (await session.facts()).containers.get(vm)?.state;
    // a new mark alone changes nothing the running container uses: no restart for it
    const changed = (network !== before && before !== '') || (plan !== undefined && plan.writes.length > 0 && existed);
    for (const lack of plan?.lacks ?? []) ctx.progress(`${lack}: it will not answer ssh`);
    if (plan) session.noteLacks(vm, plan.lacks);
    // The rest in one round trip: the configuration, (re)start, the wait, the boot and resolv.conf.
    const work: { item: BatchItem; fail: (r: ExecResult) => StepError | Promise<StepError>; done?: () => Promise<void> | void }[] = [];
    if (after !== before) {
      if (before) {
        const backup = `${path}.lxc-wizard-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        work.push({
          item: { argv: ['cp', '-p', path, backup] },
          fail: (r) => new StepError(`cannot keep ${path} as ${backup}: ${lastLine(r)}`),
        });
      }
      work.push({
        item: NodeSession.writeItem(path, after, { mode: '0640' }),
        fail: (r) => new StepError(`cannot write ${path} on ${ctx.node}: ${lastLine(r)}`),
      });
      ctx.progress(`configuring ${readNetwork(after, f.generation).ip} on ${v.bridge}`);
    }
    if (state === 'RUNNING' && changed)
      work.push({
        item: { argv: ['lxc-stop', '-n', vm] },
        fail: (r) => new StepError(`lxc-stop failed for ${vm}: ${lastLine(r)}`),
        done: () => session.noteContainer(vm, { state: 'STOPPED' }),
      });
    // the guest's own network files, written in its root filesystem while it is stopped
    if (plan?.writes.length) {
      ctx.progress(`guest network (${plan.kind}): ${plan.writes.map((w) => '/' + w.path).join(', ')}`);
      work.push({
        item: guestWriteItem(path, plan.writes),
        fail: (r) => new StepError(`cannot write ${vm}'s network configuration (${plan.kind}) on ${ctx.node}: ${lastLine(r)}`),
      });
    } else if (ctx.dryRun && !existed)
      // a plan: the container does not exist yet, so what its guest network needs is read once it does
      work.push({
        item: { argv: guestReadArgv(path) },
        fail: (r) => new StepError(`cannot read ${vm}'s root filesystem on ${ctx.node}: ${lastLine(r)}`),
      });
    if (state !== 'RUNNING' || changed) {
      // lxc-start -d says why it failed only in a log file: a fresh one, in the container's own directory
      const log = `${f.lxcPath}/${vm}/lxc-wizard-start.log`;
      work.push({ item: { argv: ['rm', '-f', log] }, fail: (r) => new StepError(`cannot remove ${log} on ${ctx.node}: ${lastLine(r)}`) });
      work.push({
        item: { argv: ['lxc-start', '-n', vm, '-d', '-o', log, '-l', 'ERROR'] },
        fail: async (r) => {
          const read = await session.query(NodeSession.readFileItem(log).argv, { timeoutS: 30 }).catch(() => undefined);
          const cause = (read?.code === 0 ? lxcCause(read.stdout) : undefined) ?? lxcCause(r.stderr) ?? lastLine(r);
          return new StepError(`lxc-start failed for ${vm}: ${cause}`, `${log} on ${ctx.node} has LXC's log of this start`);
        },
      });
      work.push({
        item: { argv: ['lxc-wait', '-n', vm, '-s', 'RUNNING', '-t', '60'] },
        fail: () => new StepError(`${vm} did not reach RUNNING within 60 s`, `lxc-info -n ${vm} on ${ctx.node}`),
        done: () => (ctx.opts.dryRun ? undefined : session.noteContainer(vm, { state: 'RUNNING' })),
      });
    }
    ctx.progress('starting it, waiting for the boot (basic.target), then writing the DNS servers');
    const dns = resolvConf(v.dnsservers);
    // and, booted, what the next steps' checks read inside it (no round trip of their own)
    const reads = [...VM_FILES];
    work.push({
      item: {
        argv: NodeSession.attach(vm, ['sh', '-c', SETTLE, 'sh', dnsMarker(vm), ...reads]),
        stdin: dns,
        stdinNote: `${Buffer.byteLength(dns)} bytes for /etc/resolv.conf`,
      },
      fail: (r) =>
        new StepError(
          `waiting for the boot and writing /etc/resolv.conf failed in ${vm}: ${lastLine(r)}`,
          `systemctl list-jobs inside ${vm} shows what the boot waits for`,
        ),
      done: () => session.noteFile(vm, dnsMarker(vm), ''),
    });
    // The minion key, if one is to be made, is made meanwhile; accepted only once the container is up.
    const controller = ctx.opts.noSalt ? undefined : ctx.opts.controller;
    const newKey = controller && !(await controller.keyAccepted(vm, v.mode));
    if (newKey && !ctx.dryRun) controller.prepareMinionKey(vm);
    const results = await session.batch(
      work.map((w) => w.item),
      { timeoutS: 330, signal: ctx.signal, onProgress: (l) => ctx.progress(l) },
    );
    for (const [i, w] of work.entries()) {
      const r = results[i];
      if (!r || r.code !== 0) throw await w.fail(r ?? results.at(-1)!);
      await w.done?.();
    }
    session.noteRead(vm, reads, results.at(-1));
    if (after !== before) session.wrote(path, after);
    if (newKey) {
      ctx.progress(`accepting a new minion key for ${vm} in ${controller.pkiDir(v.mode)}/minions`);
      await controller.minionKeys(vm, v.mode, ctx.dryRun);
    }
  },
  // lxc-wait said RUNNING and a command then ran inside it, in apply's own round trip: nothing to read again
  async verify(ctx) {
    const state = (await ctx.session.facts()).containers.get(ctx.vm)?.state ?? 'missing';
    if (!ctx.dryRun && state !== 'RUNNING')
      throw new StepError(`${ctx.vm} is ${state.toLowerCase()} after spawn`, `lxc-info -n ${ctx.vm} on ${ctx.node}`);
  },
};
