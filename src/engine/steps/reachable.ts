import { NodeSession, type BatchItem } from '../node-session.js';
import { StepError, type Step, type StepContext } from './step.js';

/** How long a run waits for the VM's sshd after its steps (a Debian clone answers within a second). */
export const REACH_WAIT_S = 30;

/**
 * On the node: waits until an SSH banner answers on the VM's IP:22 and, when a forward port is
 * given, on that port of the node's own address (its default route's interface: not loopback,
 * where the forward does not apply), as an operator's `ssh` would meet them. Prints a progress
 * line about once a second; `@ok` or `@fail` at the end. `$3` = 0 tries once (a check).
 * `$4`, when given, is node setup's script: the forward is tried only where it is installed.
 * A banner is read with bash's /dev/tcp, else nc: the node's /bin/sh may be dash.
 */
export const REACH_SH = `ip=$1; fwd=$2; secs=$3
# $4: the script node setup installs; when given and absent, there is no forward to try yet
[ -z "\${4:-}" ] || [ -x "$4" ] || fwd=
banner() {
  if command -v bash >/dev/null 2>&1; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; IFS= read -r -t 2 l <&3 || exit 1; case $l in SSH-*) exit 0 ;; esac; exit 1' "$1" "$2" 2>/dev/null
  else
    case $(timeout 3 nc -w 2 "$1" "$2" </dev/null 2>/dev/null | head -c 4) in SSH-) return 0 ;; esac; return 1
  fi
}
na=
if [ -n "$fwd" ]; then
  dev=$(ip -4 route show default 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1)
  if [ -n "$dev" ]; then na=$(ip -4 -o addr show dev "$dev" scope global | sed -n 's/.* inet \\([0-9.]*\\).*/\\1/p' | head -n 1); fi
  if [ -z "$na" ]; then
    for d in $(ip -4 -o addr show scope global | awk '{print $2}'); do
      [ -d "/sys/class/net/$d/bridge" ] && continue
      na=$(ip -4 -o addr show dev "$d" scope global | sed -n 's/.* inet \\([0-9.]*\\).*/\\1/p' | head -n 1); [ -n "$na" ] && break
    done
  fi
  [ -n "$na" ] || { echo "@fail the node has no address other than loopback to try the forward $fwd on"; exit 1; }
fi
t0=$(date +%s)
while :; do
  a=no; b=no
  banner "$ip" 22 && a=yes
  if [ -z "$fwd" ]; then b=yes; elif banner "$na" "$fwd"; then b=yes; fi
  el=$(( $(date +%s) - t0 ))
  if [ $a = yes ] && [ $b = yes ]; then echo "@ok $ip:22\${fwd:+ $na:$fwd} $el"; exit 0; fi
  [ "$el" -ge "$secs" ] && break
  echo "waiting for sshd on $ip:22\${fwd:+ and $na:$fwd}, $el s"
  sleep 1
done
echo "@fail ip=$a fwd=$b na=$na"
exit 1`;

/**
 * Inside the VM, why nothing answered: its eth0 address, whether it has an sshd and whether
 * anything listens on port 22 (/proc/net/tcp: busybox has no ss), the boot's jobs under systemd.
 */
export const WHY_SH = `a=$(ip -4 -o addr show dev eth0 2>/dev/null | sed -n 's/.* inet \\([0-9.\\/]*\\).*/\\1/p' | head -n 1)
echo "@addr $a"
if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || command -v dropbear >/dev/null 2>&1; then echo "@sshd yes"; else echo "@sshd no"; fi
if grep -q '^ *[0-9]*: [0-9A-F]*:0016 [0-9A-F]*:0000 0A' /proc/net/tcp 2>/dev/null; then echo "@listen yes"; else echo "@listen no"; fi
if [ -S /run/systemd/private ]; then echo "@jobs $(systemctl list-jobs --no-legend 2>/dev/null | awk '{print $2 "(" $4 ")"}' | head -n 5 | tr '\\n' ' ')"; fi
true`;

/** The reason a VM does not answer, from WHY_SH's output and the probe's. */
export function whyUnreachable(why: string, probe: string, o: { ip: string; port?: number }): string {
  const tag = (t: string) => new RegExp(`^@${t} ?(.*)$`, 'm').exec(why)?.[1]?.trim();
  const addr = tag('addr');
  if (why && !addr) return `no IPv4 address on its eth0 (LXC gives ${o.ip}: something in the image removed it)`;
  if (addr && addr.split('/')[0] !== o.ip) return `its eth0 has ${addr}, not ${o.ip}`;
  if (tag('sshd') === 'no') return 'no sshd in the image';
  if (tag('listen') === 'no') {
    const jobs = tag('jobs');
    return `nothing listens on port 22 in it${jobs ? ` (the boot still runs: ${jobs})` : ' (sshd is not running)'}`;
  }
  const fail = /^@fail (.*)$/m.exec(probe)?.[1] ?? '';
  if (/ip=yes/.test(fail) && /fwd=no/.test(fail)) return `its sshd answers on ${o.ip}:22 but not through the forward ${o.port}`;
  if (!/ip=|fwd=/.test(fail) && fail) return fail;
  return `its sshd listens, but ${o.ip}:22 does not answer from the node (a firewall between the bridge and the VM?)`;
}

function probeArgv(ctx: StepContext, forward: boolean, secs: number): string[] {
  return ['sh', '-c', REACH_SH, 'sh', ctx.v.ip, forward ? String(ctx.v.ssh_reverse_proxy_port) : '', String(secs)];
}

/**
 * One try, for preflight's read (before the facts say whether node setup ran: the script says).
 * A re-run that finds the VM in place then knows it answers with no round trip of its own.
 */
export function probeOnce(v: { ip: string; ssh_reverse_proxy_port: number }, netScript: string): BatchItem {
  return { argv: ['sh', '-c', REACH_SH, 'sh', v.ip, String(v.ssh_reverse_proxy_port), '0', netScript] };
}

/**
 * The forward is tried when the node has what makes forwards (node setup ran) and the VM has one,
 * or this run makes it (reverse_proxy selected): a run that leaves it out (--only) checks the rest.
 */
async function withForward(ctx: StepContext): Promise<boolean> {
  if (!(await ctx.session.facts()).netSetUp) return false;
  return ctx.steps.includes('reverse_proxy') || ctx.session.knownNodeFile(`${ctx.session.net.forwards}/${ctx.vm}`)?.content !== undefined;
}

/**
 * "Ready" means the operator can log in: after the steps, the VM's sshd answers on IP:22 from its
 * node and through its forward on the node's own address, within REACH_WAIT_S. A VM that does not
 * is not ready, with the reason seen inside it (no sshd in the image, no address on eth0).
 */
export const reachable: Step = {
  name: 'reachable',
  async check(ctx) {
    if (ctx.dryRun) return false;
    // preflight tried once in its read; a restart by spawn made that unknown again (false)
    const known = ctx.session.knownReachable(ctx.vm);
    if (known !== undefined) return known;
    const r = await ctx.session.query(probeArgv(ctx, await withForward(ctx), 0), { timeoutS: 20, signal: ctx.signal });
    return r.code === 0;
  },
  async apply(ctx) {
    const forward = await withForward(ctx);
    // an image spawn saw has no sshd is tried once, not waited for
    const wait = ctx.session.knownLacks(ctx.vm).length ? 0 : REACH_WAIT_S;
    const r = await ctx.session.change(probeArgv(ctx, forward, wait), {
      timeoutS: REACH_WAIT_S + 30,
      signal: ctx.signal,
      onLine: (l) => (l.startsWith('@') ? undefined : ctx.progress(l)),
    });
    if (ctx.dryRun) return;
    if (r.code === 0) {
      const ok = /^@ok (.*)$/m.exec(r.stdout)?.[1];
      if (ok) ctx.progress(`sshd answers on ${ok.split(' ').slice(0, -1).join(' and ')}`);
      return;
    }
    const why = await ctx.session.query(NodeSession.attach(ctx.vm, ['sh', '-c', WHY_SH]), { timeoutS: 30, signal: ctx.signal });
    const reason = whyUnreachable(why.code === 0 ? why.stdout : '', r.stdout, {
      ip: ctx.v.ip,
      ...(forward ? { port: ctx.v.ssh_reverse_proxy_port } : {}),
    });
    throw new StepError(
      `no sshd answers on ${ctx.v.ip}:22${forward ? ` or ${ctx.node}:${ctx.v.ssh_reverse_proxy_port}` : ''}${wait ? ` within ${wait} s` : ''}: ${reason}`,
      reason === 'no sshd in the image'
        ? 'use an image with openssh-server (a Debian origin: lxc-wizard node setup --origin-template debian), or install it in the VM'
        : `lxc-attach -n ${ctx.vm} on ${ctx.node} shows the VM as it is`,
    );
  },
  // apply returns only once the banner answered on every way in
  async verify() {},
};
