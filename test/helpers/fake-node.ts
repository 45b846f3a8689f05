import type { ExecOptions, ExecResult, Transport } from '../../src/engine/transport.js';
import { InterruptedError } from '../../src/core/errors.js';
import { TransportError } from '../../src/engine/transport.js';
import { FACTS_SCRIPT } from '../../src/engine/node-session.js';

interface FakeContainer {
  state: 'RUNNING' | 'STOPPED';
  files: Map<string, string>;
  users: string[];
  hasChpasswd: boolean;
  passwords?: string[];
}

/**
 * An in-memory compute node that understands the commands the steps send (facts probe, lxc-*,
 * file reads and writes, lxc-attach): fast whole-run tests, idempotence, resume, plans.
 * Each command is recorded; `failOn` injects a failure the first time a command matches.
 */
export class FakeNode implements Transport {
  connections = 1;
  readonly log: { argv: string[]; stdin?: string }[] = [];
  readonly files = new Map<string, string>([['/etc/hosts', '127.0.0.1 localhost\n']]);
  readonly containers = new Map<string, FakeContainer>();
  failOn: { match: (argv: string[]) => boolean; error: Error | ExecResult; times?: number } | undefined;

  constructor(
    readonly node: string,
    readonly opts: { version?: string; bridges?: string[]; vgs?: string[]; origins?: string[] } = {},
  ) {
    for (const o of opts.origins ?? ['makina-states-precise'])
      this.containers.set(o, { state: 'STOPPED', files: new Map(), users: ['root', 'ubuntu'], hasChpasswd: true });
  }

  private ok(stdout = '', code = 0): ExecResult {
    return { code, signal: null, stdout, stderr: code ? `fake: exit ${code}\n` : '', durationMs: 1, timedOut: false };
  }

  async exec(argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
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
    if (a[0] === 'sh' && a[2] === FACTS_SCRIPT) return this.ok(this.facts());
    if (a[0] === 'lxc-attach') {
      const name = a[2]!;
      const c = this.containers.get(name);
      if (!c || c.state !== 'RUNNING') return this.ok('', 1);
      return this.inside(c, a.slice(a.indexOf('--') + 1), o.stdin?.toString());
    }
    return this.onNode(a, o.stdin?.toString());
  }

  private facts(): string {
    const lines = [`@version ${this.opts.version ?? '5.0.2'}`, '@lxcpath /var/lib/lxc'];
    for (const b of this.opts.bridges ?? ['lxcbr1']) lines.push(`@bridge ${b}`);
    for (const v of this.opts.vgs ?? []) lines.push(`@vg ${v}`);
    lines.push('@df /dev/vda 100 50 5000000 1% /');
    for (const [name, c] of this.containers) {
      lines.push(`@c ${name} ${c.state}`);
      const config = this.files.get(`/var/lib/lxc/${name}/config`) ?? '';
      lines.push(...config.split('\n').filter((l) => /^\s*lxc\.((net\.0|network)\.|rootfs)/.test(l)));
    }
    return lines.join('\n') + '\n';
  }

  private fileOps(files: Map<string, string>, argv: string[], stdin: string | undefined): ExecResult | undefined {
    if (argv[0] === 'sh' && argv[2]?.startsWith('if [ -e "$1" ]; then cat')) {
      const v = files.get(argv[4]!);
      return v === undefined ? this.ok('', 3) : this.ok(v);
    }
    if (argv[0] === 'sh' && argv[2]?.startsWith('set -e; umask 077;')) {
      files.set(argv[4]!, stdin ?? '');
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
        this.containers.set(target, {
          state: 'STOPPED',
          files: new Map(),
          users: template === 'busybox' ? ['root'] : ['root', 'ubuntu'],
          hasChpasswd: template !== 'busybox',
        });
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
      return this.ok(
        a
          .slice(4)
          .filter((p) => c.files.has(p))
          .map((p) => `${p}\u0001\u0001${c.files.get(p)}\u0002\u0002`)
          .join(''),
      );
    }
    if (a[0] === 'sh' && a[2]?.startsWith('command -v chpasswd')) {
      if (!c.hasChpasswd) return this.ok('', 127);
      c.files.set(a[4]!, '');
      c.passwords = (stdin ?? '').split('\n').filter((l) => c.users.includes(l.split(':')[0]!));
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('/tmp/.saltcloud/minion')) {
      const [script, vm, master, port, marker, content, ...args] = a.slice(4);
      c.files.set(script!, stdin ?? '');
      c.files.set('/tmp/.saltcloud/minion', `id: ${vm}\nmaster: ${master}\nmaster_port: ${port}\n`);
      c.files.set('/var/log/boot-salt-stand-in.calls', (c.files.get('/var/log/boot-salt-stand-in.calls') ?? '') + args.join(' ') + '\n');
      c.files.set(marker!, content! + '\n');
      return this.ok();
    }
    if (a[0] === 'sh' && a[2]?.includes('basic.target')) {
      if (c.files.has(a[4]!)) return this.ok();
      c.files.set('/etc/resolv.conf', stdin ?? '');
      c.files.set(a[4]!, '');
      return this.ok();
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
