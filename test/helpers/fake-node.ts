import { createHash } from 'node:crypto';
import type { ExecOptions, ExecResult, Transport } from '../../src/engine/transport.js';
import { InterruptedError } from '../../src/core/errors.js';
import { TransportError } from '../../src/engine/transport.js';
import { BATCH_SCRIPT, FACTS_SCRIPT } from '../../src/engine/node-session.js';
import { NET, netScript, netUnit, SYSCTL_CONF } from '../../src/engine/node-net.js';
import { GUEST_FS } from '../../src/engine/guest-net.js';
import { REACH_SH, WHY_SH } from '../../src/engine/steps/reachable.js';

interface FakeContainer {
  state: 'RUNNING' | 'STOPPED';
  /** its root filesystem's files, by absolute path inside it */
  files: Map<string, string>;
  users: string[];
  hasChpasswd: boolean;
  passwords?: string[];
  /** binaries of the image (relative to its root, as GUEST_FS asks): sshd, ifup… */
  bins: Set<string>;
}

/** A Debian image as `lxc-create -t debian` makes it: ifupdown with DHCP on eth0, openssh-server. */
export function debianImage(): Pick<FakeContainer, 'files' | 'bins' | 'users' | 'hasChpasswd'> {
  return {
    files: new Map([['/etc/network/interfaces', 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n']]),
    bins: new Set(['usr/sbin/ifup', 'sbin/ifup', 'usr/sbin/sshd', 'sbin/sshd']),
    users: ['root', 'ubuntu'],
    hasChpasswd: true,
  };
}

/** The busybox template's image: rcS runs udhcpc; no sshd, no chpasswd. */
export function busyboxImage(): Pick<FakeContainer, 'files' | 'bins' | 'users' | 'hasChpasswd'> {
  return {
    files: new Map([['/etc/init.d/rcS', '#!/bin/sh\n/bin/syslogd\n/bin/mount -a\n/bin/udhcpc\n']]),
    bins: new Set(),
    users: ['root'],
    hasChpasswd: false,
  };
}

/**
 * An in-memory compute node that understands the commands the steps send (facts probe, lxc-*,
 * file reads and writes, lxc-attach): fast whole-run tests, idempotence, resume, plans.
 * Each command is recorded; `failOn` injects a failure the first time a command matches.
 */
/** Files as VM_READ_SCRIPT frames them: `path \1\1 content \2\2`, absent ones left out. */
function vmFrames(files: Map<string, string>, paths: string[]): string {
  return paths
    .filter((p) => files.has(p))
    .map((p) => `${p}\u0001\u0001${files.get(p)}\u0002\u0002`)
    .join('');
}

export class FakeNode implements Transport {
  connections = 1;
  readonly log: { argv: string[]; stdin?: string }[] = [];
  readonly files = new Map<string, string>([['/etc/hosts', '127.0.0.1 localhost\n']]);
  readonly containers = new Map<string, FakeContainer>();
  failOn: { match: (argv: string[]) => boolean; error: Error | ExecResult; times?: number } | undefined;
  /** the node's network as `node setup` leaves it */
  readonly net = { forward: '0', addrs: new Map<string, string>(), nft: '', wants: false, lxc: true, os: 'debian|' };

  constructor(
    readonly node: string,
    readonly opts: {
      version?: string;
      bridges?: string[];
      vgs?: string[];
      origins?: string[];
      /** false: a node nobody prepared (no lxc-wizard-net); default: node setup has run */
      setUp?: boolean;
    } = {},
  ) {
    for (const o of opts.origins ?? ['makina-states-precise']) this.containers.set(o, { state: 'STOPPED', ...debianImage() });
    if (opts.setUp !== false) {
      this.files.set(NET.script, netScript(NET));
      this.files.set(NET.unit, netUnit(NET));
      this.files.set(NET.sysctl, SYSCTL_CONF);
      this.net.forward = '1';
      this.net.wants = true;
    }
  }

  /** What lxc-wizard-net's ruleset would load, from the conf files (the rules only, as nft lists them). */
  private ruleset(): string {
    const val = (text: string, k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1] ?? '';
    const lines: string[] = [];
    for (const [path, text] of this.files) {
      if (path.startsWith(`${NET.forwards}/`))
        lines.push(`tcp dport ${val(text, 'port')} dnat to ${val(text, 'to')} comment "lxcw vm ${path.slice(NET.forwards.length + 1)}"`);
      if (path.startsWith(`${NET.bridges}/`)) {
        const net = val(text, 'network');
        lines.push(`ip saddr ${net} ip daddr != ${net} masquerade comment "lxcw net ${path.slice(NET.bridges.length + 1)}"`);
      }
    }
    return `table ip ${NET.table} {\n${lines.join('\n')}\n}`;
  }

  private state(paths: string[]): string {
    const out = [`@os ${this.net.os}|Fake`];
    for (const c of ['rsync', 'tar', 'nft', 'ip', 'sysctl', 'apt-get']) out.push(`@cmd ${c}`);
    if (this.net.lxc) out.push('@cmd lxc-create', '@tpl busybox', '@tpl debian');
    out.push(`@forward ${this.net.forward}`);
    for (const [br, addr] of this.net.addrs)
      out.push(`@addr 9: ${br}    inet ${addr} scope global ${br}`, `@link 9: ${br}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500`);
    for (const l of this.net.nft ? this.net.nft.split('\n') : []) out.push(`@nft ${l}`);
    out.push('@home /root');
    if (this.net.wants) out.push('@wants');
    out.push('@files');
    return (
      out.join('\n') +
      '\n' +
      vmFrames(
        this.files,
        paths.map((p) => p.replace(/^~/, '/root')),
      )
    );
  }

  private ok(stdout = '', code = 0): ExecResult {
    return { code, signal: null, stdout, stderr: code ? `fake: exit ${code}\n` : '', durationMs: 1, timedOut: false };
  }

  /** execs received: round trips over a real link (a batch is one) */
  roundTrips = 0;

  async exec(argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
    this.roundTrips++;
    // Like the real transports: an abort during a command rejects it.
    const r = await this.execNow(argv, o);
    if (o.signal?.aborted) throw new InterruptedError();
    return r;
  }

  private async execNow(argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
    const a = [...argv];
    this.log.push({ argv: a, stdin: o.stdin?.toString() });
    if (this.failOn?.match(a)) {
      const f = this.failOn;
      if (!f.times || --f.times === 0) this.failOn = undefined;
      if (f.error instanceof Error) throw f.error;
      return f.error;
    }
    if (a[0] === 'sh' && a[2] === BATCH_SCRIPT) {
      this.log.pop(); // each command of the batch is logged as itself
      const boundary = a[4]!;
      let input = Buffer.from(o.stdin?.toString() ?? '');
      let out = '';
      let err = '';
      for (const [i, item] of a.slice(5).entries()) {
        const n = Number(item.slice(0, item.indexOf(':')));
        const sub = await this.execNow(unquote(item.slice(item.indexOf(':') + 1)), { ...o, stdin: input.subarray(0, n).toString() });
        input = input.subarray(n);
        out += `${sub.stdout}\n${boundary} ${i} ${sub.code}\n`;
        err += `${sub.stderr}\n${boundary} ${i}\n`;
        if (sub.code !== 0) break;
      }
      return { ...this.ok(out), stderr: err };
    }
    if (a[0] === 'sh' && a[2]?.startsWith('case "$(lxc-info -n "$1" -s')) {
      // NodeSession.readItemIfRunning
      if (this.containers.get(a[4]!)?.state !== 'RUNNING') return this.ok('\u0003not running');
      return this.execNow(a.slice(5), o);
    }
    if (a[0] === 'sh' && a[2]?.startsWith('t=$1; c=$2; shift 2')) {
      // prefetchState's node part: files (one under the lxcpath when named), then the table when one is named
      const files = [...(a[5] ? [`/var/lib/lxc/${a[5]}`] : []), ...a.slice(6)]
        .filter((p) => this.files.has(p))
        .map((p) => `F${p}\u0001\u0001${this.files.get(p)}\u0002\u0002`);
      return this.ok(files.join('') + (a[4] ? `T${a[4]}\u0001\u0001${this.net.nft}\u0002\u0002` : ''));
    }
    if (a[0] === 'sh' && a[2] === FACTS_SCRIPT) return this.ok(this.net.lxc ? this.facts() : '@version none\n@lxcpath /var/lib/lxc\n');
    if (a[0] === 'sh' && a[2]?.includes('echo "@files"')) return this.ok(this.state(a.slice(4)));
    if (a[0] === 'sh' && a[2]?.startsWith('[ -x "$1" ] && echo "@script"')) {
      const conf = this.files.get(a[5]!);
      return this.ok(
        `${this.files.has(a[4]!) ? '@script\n' : ''}${conf !== undefined ? `@conf\n${conf}@end\n` : ''}@table\n${this.net.nft}`,
      );
    }
    if (a[0] === 'sh' && a[2]?.includes('"$1" ruleset | nft -f -') && !a[2].includes('rm -f')) {
      if (!this.files.has(a[4]!)) return this.ok('', 127);
      this.net.nft = this.ruleset();
      return this.ok(a[2].includes('nft list table') ? this.net.nft : '');
    }
    if (a[0] === 'sh' && a[2]?.startsWith('[ -e "$2" ] || exit 3; rm -f -- "$2"')) {
      if (!this.files.has(a[5]!)) return this.ok('', 3);
      this.files.delete(a[5]!);
      if (this.files.has(a[4]!)) this.net.nft = this.ruleset();
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('ip link add "$1" type bridge')) {
      this.net.addrs.set(a[4]!, a[5]!);
      if (!(this.opts.bridges ??= ['lxcbr1']).includes(a[4]!)) this.opts.bridges.push(a[4]!);
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('ln -sf "$1" "$2"')) {
      this.net.wants = true;
      return this.ok();
    }
    if (a[0] === 'sysctl') {
      this.net.forward = '1';
      return this.ok();
    }
    if (a[0] === 'env' && a.includes('apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"')) {
      if (this.net.os.startsWith('fedora')) return this.ok('', 127);
      this.net.lxc = true;
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('tar -C "$d.lxcw-tmp"')) {
      this.containers.set(a[5]!, { state: 'STOPPED', ...debianImage() });
      return this.ok();
    }
    if (a[0] === 'sh' && a[2] === GUEST_FS) return this.guestFs(a.slice(4), o.stdin?.toString() ?? '');
    if (a[0] === 'sh' && a[2] === REACH_SH) {
      const ip = a[4]!;
      const c = [...this.containers].find(([n]) => (this.files.get(`/var/lib/lxc/${n}/config`) ?? '').includes(` = ${ip}/`))?.[1];
      const up = c?.state === 'RUNNING' && c.bins.has('usr/sbin/sshd') && !this.unreachable;
      return up ? this.ok(`@ok ${ip}:22${a[5] ? ` 192.0.2.2:${a[5]}` : ''} 0\n`) : this.ok(`@fail ip=no fwd=no na=192.0.2.2\n`, 1);
    }
    if (a[0] === 'lxc-attach') {
      const name = a[2]!;
      const c = this.containers.get(name);
      if (!c || c.state !== 'RUNNING') return this.ok('', 1);
      return this.inside(c, a.slice(a.indexOf('--') + 1), o.stdin?.toString());
    }
    return this.onNode(a, o.stdin?.toString());
  }

  /** the reachability probe fails whatever the VM (a firewall between the bridge and the VMs) */
  unreachable = false;

  /** GUEST_FS: read or write inside a stopped container's root filesystem, named by its config path. */
  private guestFs(args: string[], stdin: string): ExecResult {
    const [op, conf, ...rest] = args;
    const c = this.containers.get(/\/var\/lib\/lxc\/([^/]+)\/config$/.exec(conf ?? '')?.[1] ?? '');
    if (!c) return { ...this.ok('', 1), stderr: `sed: can't read ${conf}: No such file or directory\n` };
    if (op === 'read') {
      let out = '';
      for (const p of rest) {
        if (p.startsWith('?')) {
          if (c.bins.has(p.slice(1))) out += `E ${p.slice(1)} -\u0001\u0001\u0002\u0002`;
        } else if (p.endsWith('/')) {
          const names = [...c.files.keys()].filter((f) => f.startsWith('/' + p) && !f.slice(p.length + 1).includes('/'));
          if (names.length) out += `D ${p} -\u0001\u0001${names.map((n) => n.slice(p.length + 1) + '\n').join('')}\u0002\u0002`;
        } else if (c.files.has('/' + p)) out += `F ${p} 644\u0001\u0001${c.files.get('/' + p)}\u0002\u0002`;
      }
      return this.ok(out);
    }
    let input = Buffer.from(stdin);
    for (let i = 0; i < rest.length; i += 3) {
      const n = i + 3 >= rest.length ? input.length : Number(rest[i + 1]);
      c.files.set('/' + rest[i]!, input.subarray(0, n).toString('utf8'));
      input = input.subarray(n);
    }
    return this.ok();
  }

  private facts(): string {
    const lines = [`@version ${this.opts.version ?? '5.0.2'}`, '@lxcpath /var/lib/lxc'];
    for (const t of ['busybox', 'debian', 'download', 'ubuntu']) lines.push(`@tpl ${t}`);
    for (const b of this.opts.bridges ?? ['lxcbr1']) lines.push(`@bridge ${b}`);
    for (const v of this.opts.vgs ?? []) lines.push(`@vg ${v}`);
    lines.push('@df /dev/vda 100 50 5000000 1% /');
    if (this.files.has(NET.script)) lines.push('@netsetup');
    if (this.files.has('/etc/hosts')) lines.push(`@hosts ${Buffer.from(this.files.get('/etc/hosts')!).toString('base64')}`);
    for (const [name, c] of this.containers) {
      lines.push(`@c ${name} ${c.state}`);
      const config = this.files.get(`/var/lib/lxc/${name}/config`) ?? '';
      lines.push(...config.split('\n').filter((l) => /^\s*lxc\.((net\.0|network)\.|rootfs)/.test(l) || /^#\s*lxc-wizard\.owner/.test(l)));
    }
    return lines.join('\n') + '\n';
  }

  private fileOps(files: Map<string, string>, argv: string[], stdin: string | undefined): ExecResult | undefined {
    if (argv[0] === 'sh' && argv[2]?.includes('exit 75; }')) {
      const cur = files.get(argv[4]!);
      const sha = cur === undefined ? 'none' : createHash('sha256').update(cur, 'utf8').digest('hex');
      if (sha !== argv[6]) return this.ok(cur === undefined ? '' : `F${cur}`, 75);
      files.set(argv[4]!, stdin ?? '');
      return this.ok();
    }
    if (argv[0] === 'sh' && argv[2]?.startsWith('if [ -e "$1" ]; then cat')) {
      const v = files.get(argv[4]!);
      return v === undefined ? this.ok('', 3) : this.ok(v);
    }
    if (argv[0] === 'sh' && argv[2]?.startsWith('set -e; umask 077')) {
      // NodeSession.writeItems: path, byte count, mode, dir mode per file; the last takes the rest
      let rest = Buffer.from(stdin ?? '');
      for (let i = 4; i < argv.length; i += 4) {
        const n = i + 4 >= argv.length ? rest.length : Number(argv[i + 1]);
        files.set(argv[i]!, rest.subarray(0, n).toString('utf8'));
        rest = rest.subarray(n);
      }
      return this.ok();
    }
    return undefined;
  }

  private onNode(a: string[], stdin: string | undefined): ExecResult {
    const f = this.fileOps(this.files, a, stdin);
    if (f) return f;
    const name = a[a.indexOf('-n') + 1]!;
    switch (a[0]) {
      case 'lxc-create':
      case 'lxc-copy':
      case 'lxc-clone': {
        const target = a[0] === 'lxc-copy' ? a[a.indexOf('-N') + 1]! : a[0] === 'lxc-clone' ? a[a.indexOf('-n') + 1]! : name;
        if (this.containers.has(target)) return this.ok('', 1);
        const template = a[0] === 'lxc-create' ? a[a.indexOf('-t') + 1] : undefined;
        // a clone copies its origin's root filesystem; a template makes its own image
        const origin = a[0] === 'lxc-create' ? undefined : this.containers.get(a[0] === 'lxc-copy' ? name : a[a.indexOf('-o') + 1]!);
        const image = origin
          ? { files: new Map(origin.files), bins: new Set(origin.bins), users: [...origin.users], hasChpasswd: origin.hasChpasswd }
          : template === 'busybox'
            ? busyboxImage()
            : debianImage();
        this.containers.set(target, { state: 'STOPPED', ...image });
        this.files.set(`/var/lib/lxc/${target}/config`, `lxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\nlxc.uts.name = ${target}\n`);
        return this.ok();
      }
      case 'lxc-start':
        this.containers.get(name)!.state = 'RUNNING';
        return this.ok();
      case 'lxc-stop':
        this.containers.get(name)!.state = 'STOPPED';
        return this.ok();
      case 'lxc-wait':
        return this.ok('', this.containers.get(name)?.state === 'RUNNING' ? 0 : 1);
      case 'lxc-destroy':
        this.containers.delete(name);
        return this.ok();
      case 'cp':
      case 'rm':
        return this.ok();
      case 'lxc-info':
        return this.ok((this.containers.get(name)?.state ?? '') + '\n', this.containers.has(name) ? 0 : 1);
      default:
        return this.ok('', 127);
    }
  }

  private inside(c: FakeContainer, a: string[], stdin: string | undefined): ExecResult {
    const f = this.fileOps(c.files, a, stdin);
    if (f) return f;
    if (a[0] === 'sh' && a[2]?.startsWith('for p in "$@"; do if [ -f "$p" ]')) {
      return this.ok(vmFrames(c.files, a.slice(4)));
    }
    const noChpasswd = { ...this.ok('', 127), stderr: 'lxc-wizard: no chpasswd\n' };
    if (a[0] === 'sh' && a[2]?.startsWith('command -v chpasswd')) {
      if (!c.hasChpasswd) return noChpasswd;
      c.files.set(a[4]!, '');
      c.passwords = (stdin ?? '').split('\n').filter((l) => c.users.includes(l.split(':')[0]!));
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('/tmp/.saltcloud/minion')) {
      // salt.ts runBootstrap: the password lines first when nw > 0, then the keys and the script
      const [script, vm, master, port, marker, content, np, nq, nw, pm, ...args] = a.slice(4);
      let input = Buffer.from(stdin ?? '');
      if (Number(nw) > 0) {
        if (!c.hasChpasswd) return noChpasswd;
        const lines = input.subarray(0, Number(nw)).toString();
        c.passwords = lines.split('\n').filter((l) => c.users.includes(l.split(':')[0]!));
        c.files.set(pm!, '');
        input = input.subarray(Number(nw));
      }
      const [pem, pub] = [Number(np), Number(nq)];
      if (pem > 0) {
        c.files.set('/tmp/.saltcloud/minion.pem', input.subarray(0, pem).toString());
        c.files.set('/tmp/.saltcloud/minion.pub', input.subarray(pem, pem + pub).toString());
      }
      c.files.set(script!, input.subarray(pem + pub).toString());
      c.files.set('/tmp/.saltcloud/minion', `id: ${vm}\nmaster: ${master}\nmaster_port: ${port}\n`);
      c.files.set('/var/log/boot-salt-stand-in.calls', (c.files.get('/var/log/boot-salt-stand-in.calls') ?? '') + args.join(' ') + '\n');
      c.files.set(marker!, content! + '\n');
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('basic.target')) {
      if (!c.files.has(a[4]!)) {
        c.files.set('/etc/resolv.conf', stdin ?? '');
        c.files.set(a[4]!, '');
      }
      // then the files named after the marker, framed as VM_READ_SCRIPT frames them
      return this.ok(vmFrames(c.files, a.slice(5)));
    }
    if (a[0] === 'touch') {
      c.files.set(a[1]!, '');
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('touch "$1"')) {
      c.files.set(a[4]!, '');
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('mkdir -p /root/.ssh')) return this.ok();
    if (a[0] === 'sh' && a[2] === WHY_SH) {
      const sshd = c.bins.has('usr/sbin/sshd');
      return this.ok(
        `@addr ${c.files.has('/etc/init.d/rcS') && c.files.get('/etc/init.d/rcS')!.includes('\n/bin/udhcpc') ? '' : '10.5.0.2/16'}\n@sshd ${sshd ? 'yes' : 'no'}\n@listen ${sshd ? 'yes' : 'no'}\n`,
      );
    }
    if (a[0]?.endsWith('boot-salt.sh')) {
      c.files.set(
        '/var/log/boot-salt-stand-in.calls',
        (c.files.get('/var/log/boot-salt-stand-in.calls') ?? '') + a.slice(1).join(' ') + '\n',
      );
      return this.ok();
    }
    return this.ok('', 127);
  }

  drop(message = 'the SSH connection to compute node x was lost'): TransportError {
    return new TransportError(message, 'run the same command again: finished steps are skipped');
  }

  async close(): Promise<void> {}
}

/** argv back from what shJoin made (words, single-quoted runs, backslash escapes): the batch's command lines. */
export function unquote(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === ' ') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '\\') {
      cur += line[++i];
      inWord = true;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}
