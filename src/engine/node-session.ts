import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AsyncLocalStorage } from 'node:async_hooks';
import { shJoin } from '../core/shell-quote.js';
import type { TaskName } from '../core/steps.js';
import { generationOf, readMarks, readNetwork, type Generation } from './lxc-dialect.js';
import { TransportError, type ExecResult, type Transport } from './transport.js';
import { NET, type NetPaths } from './node-net.js';

export interface ContainerFacts {
  name: string;
  state: string;
  mac?: string;
  ip?: string;
  link?: string;
  /** lxc.rootfs(.path): for LVM, lvm:/dev/<vg>/<lv> or /dev/<vg>/<lv> */
  rootfs?: string;
  /** the container lxc-wizard made (or adopted) under this name, from its config's mark */
  owner?: string;
}

/** What a compute node offers, read in one round trip when the session starts. */
export interface NodeFacts {
  lxcVersion: string | undefined;
  generation: Generation;
  lxcPath: string;
  bridges: string[];
  volumeGroups: string[];
  /** the volume group LXC creates LVM containers in (lxc.bdev.lvm.vg; LXC's default is lxc) */
  defaultVg: string;
  freeKb: number | undefined;
  containers: Map<string, ContainerFacts>;
  /** the LXC templates the node has (/usr/share/lxc/templates/lxc-*): what lxc-create -t takes */
  templates: string[];
  /** this instance's network script is installed: node setup has run (the ssh reverse proxy needs it) */
  netSetUp: boolean;
  /** the node's /etc/hosts when the facts were read (edits compare against it before they write) */
  hosts: string | undefined;
}

/** Sets $p to where the node keeps its containers, as LXC says (its default when it says nothing). */
const LXCPATH_SH = 'p=$(lxc-config lxc.lxcpath 2>/dev/null) || p=/var/lib/lxc; [ -n "$p" ] || p=/var/lib/lxc';

/**
 * POSIX sh; prints @sections the parser below reads. No bashisms: the node's /bin/sh may be dash.
 * $1: the instance's network script (node setup has run when it is there).
 */
export const FACTS_SCRIPT = `
v=$(lxc-create --version 2>/dev/null) || v=none
${LXCPATH_SH}
echo "@version $v"
echo "@lxcpath $p"
echo "@lvmvg $(lxc-config lxc.bdev.lvm.vg 2>/dev/null)"
for t in /usr/share/lxc/templates/lxc-*; do [ -e "$t" ] && echo "@tpl \${t##*/lxc-}"; done
for d in /sys/class/net/*/bridge; do [ -d "$d" ] || continue; d=\${d%/bridge}; echo "@bridge \${d##*/}"; done
vgs --noheadings -o vg_name 2>/dev/null | while read -r vg; do echo "@vg $vg"; done
echo "@df"; df -Pk "$p" 2>/dev/null
[ -n "\${1:-}" ] && [ -x "$1" ] && echo "@netsetup"
[ -f /etc/hosts ] && { echo "@hosts"; base64 < /etc/hosts; }
# one awk for every container's network and rootfs lines, not a grep each: a node may have hundreds
lxc-ls -f -F NAME,STATE 2>/dev/null | awk -v p="$p" 'NR > 1 && NF >= 2 {
  print "@c " $1 " " $2; f = p "/" $1 "/config"
  while ((getline l < f) > 0) if (l ~ /^[ \\t]*lxc\\.((net\\.0|network)\\.|rootfs)/ || l ~ /^#[ \\t]*lxc-wizard\\.owner/) print l
  close(f)
}'
true
`;

export function parseFacts(stdout: string): NodeFacts {
  const facts: NodeFacts = {
    lxcVersion: undefined,
    generation: 2,
    lxcPath: '/var/lib/lxc',
    bridges: [],
    volumeGroups: [],
    defaultVg: 'lxc',
    freeKb: undefined,
    containers: new Map(),
    templates: [],
    netSetUp: false,
    hosts: undefined,
  };
  let current: { c: ContainerFacts; config: string[] } | undefined;
  // `@df` and `@hosts` alone on their line: the lines up to the next tag are df's output and the
  // base64 of the file (a tag with its value on the line, as before, is read too)
  let under: '@df' | '@hosts' | undefined;
  let hosts64 = '';
  const df = (line: string) => {
    const avail = Number(line.trim().split(/\s+/)[3]);
    facts.freeKb = Number.isFinite(avail) ? avail : undefined;
  };
  const flush = () => {
    if (!current) return;
    const n = readNetwork(current.config.join('\n'), facts.generation);
    const rootfs = /^\s*lxc\.rootfs(?:\.path)?\s*=\s*(.*?)\s*$/m.exec(current.config.join('\n'))?.[1];
    const owner = readMarks(current.config.join('\n')).owner;
    Object.assign(current.c, { mac: n.mac, ip: n.ip, link: n.link, ...(rootfs ? { rootfs } : {}), ...(owner ? { owner } : {}) });
    facts.containers.set(current.c.name, current.c);
    current = undefined;
  };
  for (const line of stdout.split('\n')) {
    const [tag, ...rest] = line.split(' ');
    const value = rest.join(' ').trim();
    if (tag === '@c') {
      flush();
      under = undefined;
      current = { c: { name: rest[0]!, state: (rest[1] ?? '').toUpperCase() }, config: [] };
      continue;
    }
    if (tag?.startsWith('@')) {
      flush();
      under = undefined;
    } else if (under) {
      if (under === '@hosts') hosts64 += line.trim();
      else if (line.trim()) df(line);
      continue;
    }
    if ((tag === '@df' || tag === '@hosts') && !value) {
      under = tag;
      if (tag === '@hosts') facts.hosts = '';
      continue;
    }
    if (tag === '@version') {
      facts.lxcVersion = value === 'none' || !value ? undefined : value;
      if (facts.lxcVersion) facts.generation = generationOf(facts.lxcVersion);
    } else if (tag === '@lxcpath') facts.lxcPath = value;
    else if (tag === '@lvmvg') facts.defaultVg = value || 'lxc';
    else if (tag === '@bridge') facts.bridges.push(value);
    else if (tag === '@tpl') facts.templates.push(value);
    else if (tag === '@vg') facts.volumeGroups.push(value);
    else if (tag === '@netsetup') facts.netSetUp = true;
    else if (tag === '@hosts') facts.hosts = Buffer.from(value, 'base64').toString('utf8');
    else if (tag === '@df') df(value);
    else if (current && line.trim()) current.config.push(line);
  }
  flush();
  if (hosts64) facts.hosts = Buffer.from(hosts64, 'base64').toString('utf8');
  return facts;
}

/** Which VM and step a command belongs to: set around each step, read when a command is sent. */
export const commandScope = new AsyncLocalStorage<{ vm: string; step: TaskName }>();

/** One command as the log, --dry-run and the benches see it. */
export interface CommandRecord {
  node: string;
  vm?: string;
  step?: TaskName;
  argv: string[];
  /** what travels on stdin, described (never the content when secret) */
  stdin?: string;
  result?: ExecResult;
  error?: string;
  dryRun: boolean;
  /** one of several commands sent in one round trip: its place in the batch */
  batch?: { index: number; of: number };
}

/** How a command of a batch says, on stderr, what it is doing while it works (a long wait). */
export const PROGRESS = 'lxcw-progress: ';

/** A command of a batch: its argv and what it reads on stdin. */
export interface BatchItem {
  argv: string[];
  stdin?: string;
  stdinNote?: string;
}

/**
 * Runs the batch's commands in order, each with its own stdin (the next `len` bytes of ours, read
 * exactly by dd), its stdout and its stderr each followed by a line with the boundary the
 * controller chose (and, on stdout, its exit code); stops after the first that fails. Each
 * command replaces a subshell (`exec`): no shell started per command, no temp file. POSIX sh,
 * GNU or busybox dd.
 */
export const BATCH_SCRIPT = `b=$1; shift; i=0
for c in "$@"; do
  n=\${c%%:*}; cmd=\${c#*:}
  if [ "$n" -gt 0 ]; then dd bs="$n" count=1 iflag=fullblock status=none | (eval "exec $cmd"); else (eval "exec $cmd") </dev/null; fi
  rc=$?
  printf '\n%s %s %s\n' "$b" "$i" "$rc"; printf '\n%s %s\n' "$b" "$i" >&2
  [ "$rc" -eq 0 ] || exit 0
  i=$((i+1))
done`;

/** What readItemIfRunning prints for a container that does not run (never a VM_READ_SCRIPT output). */
const NOT_RUNNING = '\u0003not running';

/** Reads files inside a container, each framed as `path \1\1 content \2\2` (absent ones left out). */
export const VM_READ_SCRIPT =
  'for p in "$@"; do if [ -f "$p" ]; then printf "%s\\001\\001" "$p"; cat -- "$p"; printf "\\002\\002"; fi; done';

/** `KIND name \1\1 body \2\2` frames (prefetchState's node part). */
function frames(stdout: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const chunk of stdout.split('\u0002\u0002')) {
    const i = chunk.indexOf('\u0001\u0001');
    if (i > 1) out.push([chunk[0]!, chunk.slice(1, i), chunk.slice(i + 2)]);
  }
  return out;
}

/**
 * The results of a batch from its framed output (see BATCH_SCRIPT): those of the commands that
 * finished, and the stderr that came after the last of them (the command the batch ended in).
 */
export function parseBatch(
  stdout: string,
  stderr: string,
  boundary: string,
  durationMs: number,
): { results: ExecResult[]; restStderr: string } {
  const results: ExecResult[] = [];
  let out = stdout;
  let err = stderr;
  for (let i = 0; ; i++) {
    const head = out.indexOf(`\n${boundary} ${i} `);
    if (head < 0) break;
    const lineEnd = out.indexOf('\n', head + 1);
    if (lineEnd < 0) break;
    const rc = out.slice(head + 1, lineEnd).split(' ')[2];
    const errMark = `\n${boundary} ${i}\n`;
    const errAt = err.indexOf(errMark);
    results.push({
      code: Number(rc),
      signal: null,
      stdout: out.slice(0, head),
      stderr: errAt < 0 ? err : err.slice(0, errAt),
      durationMs,
      timedOut: false,
    });
    out = out.slice(lineEnd + 1);
    err = errAt < 0 ? '' : err.slice(errAt + errMark.length);
  }
  return { results, restStderr: err };
}

export interface SessionOptions {
  dryRun: boolean;
  /** every command, for the log file: argv, exit, duration, output tails */
  onCommand?: (e: CommandRecord) => void;
  defaultTimeoutS?: number;
  /** this installation's node-side names (default: the instance lxc_wizard) */
  net?: NetPaths;
}

/** How a command that changes the node is sent: stdin (a note of it for the log), deadline, cancel, lines. */
interface ChangeOptions {
  stdin?: string | Buffer | Readable;
  stdinNote?: string;
  timeoutS?: number;
  signal?: AbortSignal;
  onLine?: (l: string) => void;
}

/** One per compute node and run: its transport, its facts, and what steps need of it. */
export class NodeSession {
  private factsP: Promise<NodeFacts> | undefined;
  /** Node files this run has seen (the facts' /etc/hosts, then our writes): checks need no second read. */
  private readonly nodeFiles = new Map<string, string | undefined>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /**
   * Files inside containers, as last read or written by this run: within a run nothing else edits
   * a VM's files, so a check after our own write needs no second round trip.
   */
  private readonly vmFiles = new Map<string, string | undefined>();
  /** nftables tables as this run last listed them (reverse_proxy's check) */
  private readonly tables = new Map<string, string>();
  constructor(
    readonly transport: Transport,
    /** onCommand may be set later: a probe's session is reused by the run, which logs */
    readonly opts: SessionOptions,
  ) {}

  private scope(): { vm?: string; step?: TaskName } {
    return commandScope.getStore() ?? {};
  }

  get node(): string {
    return this.transport.node;
  }

  /** Where this installation keeps its state on the node: table, forwards, script, unit. */
  get net(): NetPaths {
    return this.opts.net ?? NET;
  }

  /** Probed once per node per run; the run keeps it current as it creates and starts containers. */
  facts(refresh = false): Promise<NodeFacts> {
    if (refresh) this.nodeFiles.delete('/etc/hosts');
    if (refresh || !this.factsP)
      this.factsP = this.query(['sh', '-c', FACTS_SCRIPT, 'sh', this.net.script], { timeoutS: 60 }).then((r) => this.factsOf(r));
    return this.factsP;
  }

  /**
   * The facts from the script's answer. A node that did not answer in time, or a channel cut before
   * the script's first lines, is said as such: read as facts, it looked like a node without LXC.
   */
  private factsOf(r: ExecResult | undefined): NodeFacts {
    if (r?.timedOut)
      throw new TransportError(
        `${this.node} did not answer within 60 s (reading its facts)`,
        'check that the node is up and not overloaded, then run again',
      );
    if (!r || !/^@lxcpath /m.test(r.stdout))
      throw new TransportError(
        `the channel to ${this.node} closed before its facts were read (${r ? `exit ${r.code ?? r.signal}${r.stderr.trim() ? `: ${lastLine(r)}` : ''}` : 'no answer'})`,
        "run again; if it keeps happening, look at the node's sshd log",
      );
    return parseFacts(r.stdout);
  }

  /** Record what this run did to a container (created, started, destroyed) in the facts. */
  async noteContainer(vm: string, patch: Partial<ContainerFacts> | 'gone'): Promise<void> {
    const f = await this.facts();
    this.reach.set(vm, false);
    if (patch === 'gone') {
      f.containers.delete(vm);
      for (const k of [...this.vmFiles.keys()]) if (k.startsWith(`${vm}\0`)) this.vmFiles.delete(k);
      return;
    }
    f.containers.set(vm, { name: vm, state: 'STOPPED', ...f.containers.get(vm), ...patch });
  }

  /** Read-only: runs in dry runs too, so a plan is made from the node's real state. */
  async query(
    argv: string[],
    o: { stdin?: string; timeoutS?: number; signal?: AbortSignal; onLine?: (l: string) => void } = {},
  ): Promise<ExecResult> {
    return this.run(argv, { ...o, change: false });
  }

  /** Changes something: only recorded in a dry run. */
  async change(argv: string[], o: ChangeOptions = {}): Promise<ExecResult> {
    return this.run(argv, { ...o, change: true });
  }

  private async run(argv: string[], o: ChangeOptions & { change: boolean }): Promise<ExecResult> {
    const stdinNote =
      o.stdinNote ?? (o.stdin === undefined ? undefined : o.stdin instanceof Readable ? 'a stream' : `${Buffer.byteLength(o.stdin)} bytes`);
    if (o.change && this.opts.dryRun) {
      this.opts.onCommand?.({ ...this.scope(), node: this.node, argv, stdin: stdinNote, dryRun: true });
      return { code: 0, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false };
    }
    try {
      const result = await this.transport.exec(argv, {
        stdin: o.stdin,
        timeoutS: o.timeoutS ?? this.opts.defaultTimeoutS ?? 300,
        signal: o.signal,
        onLine: o.onLine ? (l) => o.onLine!(l) : undefined,
      });
      this.opts.onCommand?.({ ...this.scope(), node: this.node, argv, stdin: stdinNote, result, dryRun: false });
      return result;
    } catch (err) {
      this.opts.onCommand?.({ ...this.scope(), node: this.node, argv, stdin: stdinNote, error: (err as Error).message, dryRun: false });
      throw err;
    }
  }

  /**
   * Several short commands in one round trip (on a link tens of milliseconds long, each command
   * alone costs two or three round trips of the SSH channel). In order, each with its own stdin;
   * stops at the first that fails: the results are those of the commands that ran. Each is logged
   * (and, in a dry run, planned) as itself. Not for long commands: their output comes at the end.
   */
  async batch(
    items: BatchItem[],
    o: { timeoutS?: number; signal?: AbortSignal; readOnly?: boolean; onProgress?: (line: string) => void } = {},
  ): Promise<ExecResult[]> {
    if (!items.length) return [];
    if (items.length === 1) return [await (o.readOnly ? this.query : this.change).call(this, items[0]!.argv, { ...items[0]!, ...o })];
    const of = items.length;
    if (this.opts.dryRun && !o.readOnly) {
      items.forEach((it, index) =>
        this.opts.onCommand?.({ ...this.scope(), node: this.node, argv: it.argv, stdin: note(it), dryRun: true, batch: { index, of } }),
      );
      return items.map(() => ({ code: 0, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false }));
    }
    const boundary = `@lxcw-${randomBytes(8).toString('hex')}@`;
    const args = items.map((it) => `${it.stdin === undefined ? 0 : Buffer.byteLength(it.stdin)}:${shJoin(it.argv)}`);
    const stdin = items.map((it) => it.stdin ?? '').join('');
    let r: ExecResult;
    try {
      r = await this.transport.exec(['sh', '-c', BATCH_SCRIPT, 'sh', boundary, ...args], {
        stdin,
        timeoutS: o.timeoutS ?? this.opts.defaultTimeoutS ?? 300,
        signal: o.signal,
        // a command of the batch may say how it is doing while it works (PROGRESS lines on stderr)
        ...(o.onProgress
          ? {
              onLine: (l: string, stream?: string) =>
                stream === 'stderr' && l.startsWith(PROGRESS) && o.onProgress!(l.slice(PROGRESS.length)),
            }
          : {}),
      });
    } catch (err) {
      this.opts.onCommand?.({
        ...this.scope(),
        node: this.node,
        argv: items[0]!.argv,
        error: (err as Error).message,
        dryRun: false,
        batch: { index: 0, of },
      });
      throw err;
    }
    // what finished is kept even when the whole exec ended early (deadline, lost connection): the
    // command it ended in gets the exec's own result, so a failure names the command that had it
    const { results, restStderr } = parseBatch(r.stdout, r.stderr, boundary, r.durationMs);
    const ended = results.at(-1);
    if (results.length < items.length && (!ended || ended.code === 0))
      results.push({ ...r, code: r.code === 0 ? 1 : r.code, stdout: '', stderr: restStderr || (r.timedOut ? 'timed out' : '') });
    results.forEach((result, index) =>
      this.opts.onCommand?.({
        ...this.scope(),
        node: this.node,
        argv: items[index]!.argv,
        stdin: note(items[index]!),
        result,
        dryRun: false,
        batch: { index, of },
      }),
    );
    return results;
  }

  /**
   * Serialise read-modify-write of one node-level resource (its /etc/hosts): VMs of a node run
   * in parallel and would otherwise overwrite each other's blocks.
   */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /** A command inside a container, on its node: no network needed. */
  static attach(vm: string, argv: string[]): string[] {
    return [
      'lxc-attach',
      '-n',
      vm,
      '--clear-env',
      '--set-var',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--',
      ...argv,
    ];
  }

  /** The file's content, or undefined when it does not exist. */
  async readFile(path: string, vm?: string): Promise<string | undefined> {
    const key = vm ? `${vm}\0${path}` : undefined;
    if (key && this.vmFiles.has(key)) return this.vmFiles.get(key);
    const { argv } = NodeSession.readFileItem(path);
    const r = await this.query(vm ? NodeSession.attach(vm, argv) : argv, { timeoutS: 60 });
    if (r.code !== 0 && r.code !== 3) throw new Error(`cannot read ${path}${vm ? ` in ${vm}` : ''} on ${this.node}: ${lastLine(r)}`);
    const content = r.code === 3 ? undefined : r.stdout;
    if (key) this.vmFiles.set(key, content);
    return content;
  }

  /**
   * Read several files inside a container in one round trip (lxc-attach costs a process and its
   * setns each time); the answers fill the cache that readFile serves.
   */
  async prefetch(vm: string, paths: readonly string[]): Promise<void> {
    const want = paths.filter((p) => !this.vmFiles.has(`${vm}\0${p}`));
    if (!want.length) return;
    const r = await this.query(NodeSession.attach(vm, ['sh', '-c', VM_READ_SCRIPT, 'sh', ...want]), { timeoutS: 60 });
    if (r.code !== 0) throw new Error(`cannot read files in ${vm} on ${this.node}: ${lastLine(r)}`);
    this.fillVmFiles(vm, want, r.stdout);
  }

  /**
   * What every check of a VM reads, in one round trip: node files (its container config, its
   * forward's conf), an nftables table, and the files inside the container when it runs. A re-run
   * that finds everything in place then costs the facts and this. Read-only: dry runs use it too.
   */
  async prefetchState(
    vm: string,
    o: { nodePaths: readonly string[]; table?: string; vmPaths: readonly string[]; probe?: BatchItem },
  ): Promise<void> {
    const items: BatchItem[] = [NodeSession.stateItem(o.table, '', o.nodePaths)];
    const want = o.vmPaths.filter((p) => !this.vmFiles.has(`${vm}\0${p}`));
    if (want.length) items.push(NodeSession.readItem(vm, want));
    const results = await this.batch(o.probe ? [...items, NodeSession.ifRunning(vm, o.probe)] : items, { timeoutS: 60, readOnly: true });
    this.fillState(vm, o.nodePaths, want, results[0], want.length ? results[1] : undefined);
    if (o.probe) this.fillProbe(vm, results[items.length]);
  }

  /** Whether this session has asked for the node's facts (a probe, another VM, a node task). */
  get factsAsked(): boolean {
    return this.factsP !== undefined;
  }

  /**
   * The facts and prefetchState in one round trip, for the first VM a run meets on a node. The
   * facts that would say where the container config lives and whether the container runs come
   * in the same round trip: the state part finds the lxcpath as the facts do, and reads inside
   * the container only if it runs.
   */
  async factsWithState(
    vm: string,
    o: { nodePaths: readonly string[]; table: string; vmPaths: readonly string[]; probe?: BatchItem },
  ): Promise<NodeFacts> {
    const want = o.vmPaths.filter((p) => !this.vmFiles.has(`${vm}\0${p}`));
    const items: BatchItem[] = [
      { argv: ['sh', '-c', FACTS_SCRIPT, 'sh', this.net.script] },
      NodeSession.stateItem(o.table, `${vm}/config`, o.nodePaths),
    ];
    if (want.length) items.push(NodeSession.readItemIfRunning(vm, want));
    if (o.probe) items.push(NodeSession.ifRunning(vm, o.probe));
    const results = this.batch(items, { timeoutS: 60, readOnly: true });
    this.factsP = results.then(([r]) => this.factsOf(r));
    const [f, all] = await Promise.all([this.factsP, results]);
    this.fillState(vm, [`${f.lxcPath}/${vm}/config`, ...o.nodePaths], want, all[1], want.length ? all[2] : undefined);
    if (o.probe) this.fillProbe(vm, all[items.length - 1]);
    return f;
  }

  /** A read-only command, run only if the container runs (otherwise it prints NOT_RUNNING). */
  static ifRunning(vm: string, item: BatchItem): BatchItem {
    return {
      argv: [
        'sh',
        '-c',
        'case "$(lxc-info -n "$1" -s 2>/dev/null)" in *RUNNING*) shift; exec "$@" ;; esac; printf "\\003not running"',
        'sh',
        vm,
        ...item.argv,
      ],
    };
  }

  /**
   * Whether the VM's sshd answered the probe this run made in preflight's read (false: it did not,
   * or the container did not run); false again once this run restarts the container
   * (noteContainer). Undefined: not known.
   */
  private readonly reach = new Map<string, boolean>();

  private fillProbe(vm: string, r: ExecResult | undefined): void {
    if (r) this.reach.set(vm, r.code === 0 && r.stdout.includes('@ok '));
  }

  knownReachable(vm: string): boolean | undefined {
    return this.reach.get(vm);
  }

  /** What spawn saw the VM's image lacks for a login (no sshd): the reachability wait need not wait for it. */
  private readonly lacks = new Map<string, string[]>();
  noteLacks(vm: string, lacks: string[]): void {
    this.lacks.set(vm, lacks);
  }
  knownLacks(vm: string): string[] {
    return this.lacks.get(vm) ?? [];
  }

  /**
   * The node part of a prefetch: files (and, when `inLxcPath` is given, that file under the
   * lxcpath the node reports, found as FACTS_SCRIPT finds it), then an nftables table.
   */
  private static stateItem(table: string | undefined, inLxcPath: string, paths: readonly string[]): BatchItem {
    const script = [
      't=$1; c=$2; shift 2',
      `if [ -n "$c" ]; then ${LXCPATH_SH}; set -- "$p/$c" "$@"; fi`,
      'for p in "$@"; do if [ -f "$p" ]; then printf "F%s\\001\\001" "$p"; cat -- "$p"; printf "\\002\\002"; fi; done',
      '[ -z "$t" ] || { printf "T%s\\001\\001" "$t"; nft list table ip "$t" 2>/dev/null; printf "\\002\\002"; }; true',
    ].join('\n');
    return { argv: ['sh', '-c', script, 'sh', table ?? '', inLxcPath, ...paths] };
  }

  /** readItem, only if the container runs; otherwise NOT_RUNNING and nothing read. */
  static readItemIfRunning(vm: string, paths: readonly string[]): BatchItem {
    return NodeSession.ifRunning(vm, NodeSession.readItem(vm, paths));
  }

  private fillState(vm: string, nodePaths: readonly string[], want: readonly string[], node?: ExecResult, inVm?: ExecResult): void {
    if (!node || node.code !== 0) return; // the checks read what they need themselves
    for (const p of nodePaths) this.nodeFiles.set(p, undefined);
    for (const [kind, name, body] of frames(node.stdout)) {
      if (kind === 'F') this.nodeFiles.set(name, body);
      else this.tables.set(name, body);
    }
    if (inVm?.code === 0 && inVm.stdout !== NOT_RUNNING) this.fillVmFiles(vm, want, inVm.stdout);
  }

  /** A node file as the prefetch or this run's writes left it; `undefined` when not known. */
  knownNodeFile(path: string): { content: string | undefined } | undefined {
    return this.nodeFiles.has(path) ? { content: this.nodeFiles.get(path) } : undefined;
  }

  /** An nftables table as the prefetch listed it; dropped by whoever changes it. */
  knownTable(name: string, set?: string | null): string | undefined {
    if (set === null) this.tables.delete(name);
    else if (set !== undefined) this.tables.set(name, set);
    return this.tables.get(name);
  }

  /** The command that reads files inside a container (for a batch); its output goes to noteRead. */
  static readItem(vm: string, paths: readonly string[]): BatchItem {
    return { argv: NodeSession.attach(vm, ['sh', '-c', VM_READ_SCRIPT, 'sh', ...paths]) };
  }

  /** What a readItem in a batch found, for the checks that follow. */
  noteRead(vm: string, paths: readonly string[], r: ExecResult | undefined): void {
    if (!this.opts.dryRun && r?.code === 0) this.fillVmFiles(vm, paths, r.stdout);
  }

  private fillVmFiles(vm: string, paths: readonly string[], stdout: string): void {
    for (const p of paths) this.vmFiles.set(`${vm}\0${p}`, undefined);
    for (const chunk of stdout.split('\u0002\u0002')) {
      const i = chunk.indexOf('\u0001\u0001');
      if (i > 0) this.vmFiles.set(`${vm}\0${chunk.slice(0, i)}`, chunk.slice(i + 2));
    }
  }

  /** What a combined command wrote inside a container, for the cache. */
  noteFile(vm: string, path: string, content: string | undefined): void {
    if (!this.opts.dryRun) this.vmFiles.set(`${vm}\0${path}`, content);
  }

  /** Write through a temp file and rename, content on stdin (never in argv). */
  async writeFile(
    path: string,
    content: string,
    o: { vm?: string; mode?: string; dirMode?: string; secret?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    const item = NodeSession.writeItem(path, content, o);
    const r = await this.change(item.argv, { ...item, timeoutS: 60, signal: o.signal });
    if (r.code !== 0) throw new Error(`cannot write ${path}${o.vm ? ` in ${o.vm}` : ''} on ${this.node}: ${lastLine(r)}`);
    this.wrote(path, content, o.vm);
  }

  /** The command readFile sends, for a batch: the file on stdout, exit 3 when there is none. */
  static readFileItem(path: string): BatchItem {
    return { argv: ['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', path] };
  }

  /** The command writeFile sends, for a batch: temp file, mode, rename, content on stdin. */
  static writeItem(path: string, content: string, o: { vm?: string; mode?: string; dirMode?: string; secret?: boolean } = {}): BatchItem {
    return NodeSession.writeItems([{ path, content, mode: o.mode, dirMode: o.dirMode }], o);
  }

  /**
   * Several files in one command (inside a VM: one lxc-attach, the dearest part of a write), each
   * through a temp file and a rename. Their contents follow each other on stdin, each file's byte
   * count in argv; the last takes the rest. Shell expansions rather than dirname and basename:
   * every process counts on a small node.
   */
  static writeItems(
    files: readonly { path: string; content: string; mode?: string; dirMode?: string }[],
    o: { vm?: string; secret?: boolean } = {},
  ): BatchItem {
    const script = [
      'set -e; umask 077',
      'while [ $# -gt 0 ]; do',
      '  f=$1; n=$2; m=$3; dm=$4; shift 4',
      '  case $f in */*) d=${f%/*} ;; *) d=. ;; esac; [ -n "$d" ] || d=/',
      '  umask 077; [ -d "$d" ] || mkdir -p -- "$d"; [ -z "$dm" ] || chmod "$dm" "$d"; t="$d/.${f##*/}.lxcw-tmp.$$"',
      // the usual modes come from the umask the temp file is made with, the others from chmod
      '  k=; [ ! -e "$t" ] || k=1; case $m in 0600) ;; 0640) umask 027 ;; 0644) umask 022 ;; *) k=1 ;; esac',
      '  if [ $# -eq 0 ]; then cat > "$t"; elif [ "$n" -gt 0 ]; then dd bs="$n" count=1 iflag=fullblock status=none > "$t"; else : > "$t"; fi',
      '  [ -z "$k" ] || chmod "$m" "$t"; mv -f -- "$t" "$f" 2>/dev/null || { cat -- "$t" > "$f"; rm -f -- "$t"; }',
      'done',
    ].join('\n');
    const argv = [
      'sh',
      '-c',
      script,
      'sh',
      ...files.flatMap((f) => [f.path, String(Buffer.byteLength(f.content)), f.mode ?? '0644', f.dirMode ?? '']),
    ];
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    return {
      argv: o.vm ? NodeSession.attach(o.vm, argv) : argv,
      stdin: files.map((f) => f.content).join(''),
      stdinNote: o.secret ? 'secret content' : `${bytes} bytes for ${files.map((f) => f.path).join(', ')}`,
    };
  }

  /**
   * Replace a node file only if it still holds `base` (compared by SHA-256, under flock): another
   * process editing it meanwhile (a second lxc-wizard, an operator) makes it exit 75, never lose
   * their change, and print the file as it is now (see casRefused): the edit can be made again
   * without another round trip. For the node's /etc/hosts.
   */
  static casWriteItem(path: string, base: string | undefined, content: string, mode = '0644'): BatchItem {
    const script = [
      'set -e; umask 022; l=/run/lock; [ -d "$l" ] || l=/tmp',
      'exec 9>>"$l/$4"; command -v flock >/dev/null 2>&1 && flock 9',
      'cur=none; if [ -e "$1" ]; then cur=$(sha256sum < "$1"); cur=${cur%% *}; fi',
      '[ "$cur" = "$3" ] || { if [ -e "$1" ]; then printf F; cat -- "$1"; fi; exit 75; }',
      // made 0644 by the umask: chmod only for another mode (or a temp file left by a crash)
      't="${1%/*}/.${1##*/}.lxcw-tmp.$$"; k=; [ ! -e "$t" ] || k=1; cat > "$t"; [ "$2$k" = 0644 ] || chmod "$2" "$t"; mv -f -- "$t" "$1"',
    ].join('\n');
    const sha = base === undefined ? 'none' : createHash('sha256').update(base, 'utf8').digest('hex');
    if (!path.startsWith('/')) throw new Error(`casWriteItem needs an absolute path, not ${path}`);
    // the lock's name is the one earlier versions made on the node (/ as _), so they exclude each other
    const lock = `lxc-wizard-${path.replaceAll('/', '_')}.lock`;
    return {
      argv: ['sh', '-c', script, 'sh', path, mode, sha, lock],
      stdin: content,
      stdinNote: `${Buffer.byteLength(content)} bytes for ${path}`,
    };
  }

  /** The file a refused casWriteItem found (exit 75): its content, undefined when there is none. */
  static casRefused(r: ExecResult): string | undefined {
    return r.stdout.startsWith('F') ? r.stdout.slice(1) : undefined;
  }

  /** What this run wrote, kept for the checks that follow (no read back over the link). */
  wrote(path: string, content: string, vm?: string): void {
    if (this.opts.dryRun) return;
    if (vm) this.vmFiles.set(`${vm}\0${path}`, content);
    else if (this.nodeFiles.has(path)) this.nodeFiles.set(path, content);
  }

  /**
   * The node's /etc/hosts as this run last saw it: from the facts, then our own writes; read again
   * (one round trip) when `fresh`, after someone else changed it.
   */
  async nodeHosts(): Promise<string> {
    return (await this.nodeHostsFile()) ?? '';
  }

  /** The same, undefined when the node has no /etc/hosts. */
  async nodeHostsFile(): Promise<string | undefined> {
    if (!this.nodeFiles.has('/etc/hosts')) this.nodeFiles.set('/etc/hosts', (await this.facts()).hosts);
    return this.nodeFiles.get('/etc/hosts');
  }

  /** A node file as a command of ours just found it on the node (a refused casWriteItem). */
  sawNodeFile(path: string, content: string | undefined): void {
    this.nodeFiles.set(path, content);
  }
}

function note(it: BatchItem): string | undefined {
  return it.stdinNote ?? (it.stdin === undefined ? undefined : `${Buffer.byteLength(it.stdin)} bytes`);
}

export function lastLine(r: ExecResult): string {
  // the last line that says something: nft and others end with the offending input and a ^^^ marker
  const lines = (r.stderr.trim() || r.stdout.trim()).split('\n').filter((l) => /[A-Za-z0-9]/.test(l));
  const error = lines.findLast((l) => /^(Error|E):|error:/i.test(l.trim()));
  return (error ?? lines.at(-1) ?? '').trim().slice(0, 300) || (r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`);
}
