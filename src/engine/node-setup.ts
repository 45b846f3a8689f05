import type { Readable } from 'node:stream';
import type { NodeTaskName } from '../core/steps.js';
import { loadRuleset, netScript, netUnit, SYSCTL_CONF, bridgeConf, masqueradeRule, type NetPaths } from './node-net.js';
import { lastLine, type NodeSession } from './node-session.js';
import { mergedKeys } from './steps/sshkeys.js';
import { registryText } from './steps/grains.js';
import { StepError, type Task } from './steps/step.js';

/** What a compute node must offer, from the pillar and the flags (the seed's install_vt). */
export interface BridgeSpec {
  bridge: string;
  gateway: string;
  netmask: number;
  network: string;
}

/** Every bridge node setup makes on the node: the defaults' one first, then those the VMs name. */
export function bridgesOf(spec: NodeSetupSpec): BridgeSpec[] {
  return [spec, ...(spec.extraBridges ?? [])].map(({ bridge, gateway, netmask, network }) => ({ bridge, gateway, netmask, network }));
}

export interface NodeSetupSpec {
  bridge: string;
  gateway: string;
  netmask: number;
  network: string;
  /** false: the bridge is the operator's business (the original's use_bridge) */
  useBridge: boolean;
  /** other bridges the node's VMs name (bridge: in an entry), each with the network of its VMs */
  extraBridges?: BridgeSpec[];
  /** /etc/mastersalt/makina-states or /etc/salt/makina-states */
  registryDir: string;
  /** origin containers the node's clone entries need */
  origins: string[];
  /** create a missing origin from this LXC template (and release) when the controller has no copy */
  originTemplate?: { template: string; release?: string };
  /** public key lines for the login user's authorized_keys on the node */
  sshPublicKeys: string[];
  /** the controller's copy of an origin, as a tar stream; undefined when the controller has none */
  originSource?: (name: string) => Promise<OriginSource | undefined>;
}

export interface OriginSource {
  /** shown in progress and dry runs */
  what: string;
  /** the controller's lxcpath: rewritten to the node's in the copied config */
  lxcPath: string;
  stream(): Readable;
}

export interface NodeTaskContext {
  node: string;
  vm: string;
  session: NodeSession;
  spec: NodeSetupSpec;
  signal: AbortSignal;
  dryRun: boolean;
  progress(line: string): void;
  /** the node's state, read in one round trip and read again after any task changed something */
  state(): Promise<NodeState>;
  changed(): void;
}

export type NodeTask = Task<NodeTaskContext> & { name: NodeTaskName };

export interface NodeState {
  os: { id: string; like: string; pretty: string };
  commands: Set<string>;
  templates: Set<string>;
  forward: string;
  /** `ip -4 -o addr` lines, `ip -o link` lines */
  addrs: string[];
  links: string[];
  /** `nft list table ip <instance>`, empty when there is none */
  nft: string;
  home: string;
  files: Map<string, string | undefined>;
  wantsLink: boolean;
}

/** $1: the instance's table, $2: its unit's wants link; then the files to read (names kept apart from the loops' $t, $c, $p). */
const STATE_SCRIPT = `
tbl=$1; wants=$2; shift 2
. /etc/os-release 2>/dev/null || true
echo "@os \${ID:-unknown}|\${ID_LIKE:-}|\${PRETTY_NAME:-unknown}"
for c in lxc-create rsync tar nft ip sysctl debootstrap apt-get; do command -v "$c" >/dev/null 2>&1 && echo "@cmd $c"; done
for t in /usr/share/lxc/templates/lxc-*; do [ -e "$t" ] && echo "@tpl \${t##*/lxc-}"; done
echo "@forward $(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)"
ip -4 -o addr show 2>/dev/null | sed 's/^/@addr /'
ip -o link show 2>/dev/null | sed 's/^/@link /'
nft list table ip "$tbl" 2>/dev/null | sed 's/^/@nft /'
echo "@home $HOME"
[ -L "$wants" ] && echo "@wants"
echo "@files"
for p in "$@"; do case $p in "~"*) p="$HOME\${p#"~"}" ;; esac; if [ -f "$p" ]; then printf "%s\\001\\001" "$p"; cat -- "$p"; printf "\\002\\002"; fi; done
true
`;

/** The files node setup manages, read with the state. */
export function stateFiles(NET: NetPaths, spec: NodeSetupSpec, home = '~'): string[] {
  return [
    NET.script,
    NET.unit,
    NET.sysctl,
    ...bridgesOf(spec).map((b) => `${NET.bridges}/${b.bridge}`),
    `${spec.registryDir}/cloud.yaml`,
    `${spec.registryDir}/services.yaml`,
    `${home}/.ssh/authorized_keys`,
  ];
}

export async function readNodeState(session: NodeSession, spec: NodeSetupSpec): Promise<NodeState> {
  // $HOME is the node's: the authorized_keys path goes as ~/… and the script expands it.
  const NET = session.net;
  const r = await session.query(['sh', '-c', STATE_SCRIPT, 'sh', NET.table, NET.wants, ...stateFiles(NET, spec)], { timeoutS: 60 });
  if (r.code !== 0) throw new StepError(`cannot read the state of ${session.node}: ${lastLine(r)}`);
  const [head, filesPart = ''] = r.stdout.split('@files\n');
  const st: NodeState = {
    os: { id: 'unknown', like: '', pretty: 'unknown' },
    commands: new Set(),
    templates: new Set(),
    forward: '',
    addrs: [],
    links: [],
    nft: '',
    home: '/root',
    files: new Map(),
    wantsLink: false,
  };
  const nft: string[] = [];
  for (const line of head!.split('\n')) {
    const [tag, ...rest] = line.split(' ');
    const v = rest.join(' ');
    if (tag === '@os') {
      const [id = 'unknown', like = '', pretty = 'unknown'] = v.split('|');
      st.os = { id, like, pretty };
    } else if (tag === '@cmd') st.commands.add(v);
    else if (tag === '@tpl') st.templates.add(v);
    else if (tag === '@forward') st.forward = v.trim();
    else if (tag === '@addr') st.addrs.push(v);
    else if (tag === '@link') st.links.push(v);
    else if (tag === '@nft') nft.push(v);
    else if (tag === '@home') st.home = v.trim() || '/root';
    else if (tag === '@wants') st.wantsLink = true;
  }
  st.nft = nft.join('\n');
  for (const p of stateFiles(session.net, spec, st.home)) st.files.set(p, undefined);
  for (const chunk of filesPart.split('\u0002\u0002')) {
    const i = chunk.indexOf('\u0001\u0001');
    if (i > 0) st.files.set(chunk.slice(0, i), chunk.slice(i + 2));
  }
  return st;
}

const isDebianLike = (os: NodeState['os']) => ['debian', 'ubuntu'].includes(os.id) || /\b(debian|ubuntu)\b/.test(os.like);
const authorizedKeys = (st: NodeState) => `${st.home}/.ssh/authorized_keys`;

/** The controller's keys in the login user's authorized_keys: later connections use the key. */
export const nodeSshkeys: NodeTask = {
  name: 'node_sshkeys',
  async check(ctx) {
    // the seed's "root from the controller connects by ssh key" is about remote nodes: on the
    // controller itself nothing logs in over SSH, and root login to it is not ours to open
    if (ctx.node === 'localhost') return 'the node is this controller: nothing logs in to it over SSH';
    if (!ctx.spec.sshPublicKeys.length) return 'no public keys to install (see --ssh-pubkey)';
    const st = await ctx.state();
    const current = st.files.get(authorizedKeys(st)) ?? '';
    return mergedKeys(current, ctx.spec.sshPublicKeys) === current;
  },
  async apply(ctx) {
    const st = await ctx.state();
    const current = st.files.get(authorizedKeys(st)) ?? '';
    await ctx.session.writeFile(authorizedKeys(st), mergedKeys(current, ctx.spec.sshPublicKeys), {
      mode: '0600',
      dirMode: '0700',
      signal: ctx.signal,
    });
    ctx.changed();
  },
};

/** LXC, and what cloning and templates need, from the node's own package manager. */
export const lxc: NodeTask = {
  name: 'lxc',
  async check(ctx) {
    const f = await ctx.session.facts();
    const st = await ctx.state();
    return (
      f.lxcVersion !== undefined && st.commands.has('rsync') && st.commands.has('tar') && st.commands.has('nft') && st.templates.size > 0
    );
  },
  async apply(ctx) {
    const st = await ctx.state();
    if (!isDebianLike(st.os) || !st.commands.has('apt-get')) {
      throw new StepError(
        `${ctx.node} runs ${st.os.pretty}, and lxc-wizard installs packages on Debian and Ubuntu only`,
        'install by hand: lxc (with its templates), rsync, tar, nftables and iproute2; then run node setup again',
      );
    }
    const pkgs = ['lxc', 'lxc-templates', 'rsync', 'tar', 'nftables', 'iproute2', 'debootstrap'];
    ctx.progress(`apt-get install ${pkgs.join(' ')}`);
    const r = await ctx.session.change(
      [
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'sh',
        '-c',
        'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"',
        'sh',
        ...pkgs,
      ],
      {
        timeoutS: 1800,
        signal: ctx.signal,
        onLine: (l) => ctx.progress(l),
      },
    );
    if (r.code !== 0)
      throw new StepError(
        `installing ${pkgs.join(', ')} on ${ctx.node} failed: ${lastLine(r)}`,
        `run apt-get install ${pkgs.join(' ')} on ${ctx.node} to see why`,
      );
    if (!ctx.dryRun) await ctx.session.facts(true);
    ctx.changed();
  },
};

function bridgeUp(st: NodeState, spec: BridgeSpec): boolean {
  const addr = `${spec.gateway}/${spec.netmask}`;
  const hasAddr = st.addrs.some((l) => new RegExp(`^\\d+: ${escapeRe(spec.bridge)}\\s+inet ${escapeRe(addr)} `).test(l));
  const up = st.links.some((l) => new RegExp(`^\\d+: ${escapeRe(spec.bridge)}: <[^>]*\\bUP\\b`).test(l));
  return hasAddr && up;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function persisted(NET: NetPaths, st: NodeState, spec: NodeSetupSpec): boolean {
  return (
    st.files.get(NET.script) === netScript(NET) &&
    st.files.get(NET.unit) === netUnit(NET) &&
    st.wantsLink &&
    bridgesOf(spec).every((b) => st.files.get(`${NET.bridges}/${b.bridge}`) === bridgeConf(b.gateway, b.netmask, b.network))
  );
}

/** The bridge with the gateway address, up, and kept across reboots by the instance's unit. */
export const bridge: NodeTask = {
  name: 'bridge',
  async check(ctx) {
    if (!ctx.spec.useBridge) return 'use_bridge is false: the bridge is left to the operator';
    const st = await ctx.state();
    return bridgesOf(ctx.spec).every((b) => bridgeUp(st, b)) && persisted(ctx.session.net, st, ctx.spec);
  },
  async apply(ctx) {
    const { session, spec, signal } = ctx;
    const NET = session.net;
    for (const b of bridgesOf(spec))
      await session.writeFile(`${NET.bridges}/${b.bridge}`, bridgeConf(b.gateway, b.netmask, b.network), { mode: '0644', signal });
    await session.writeFile(NET.script, netScript(NET), { mode: '0755', signal });
    await session.writeFile(NET.unit, netUnit(NET), { mode: '0644', signal });
    // systemctl enable, done by hand: it works without a running systemd (chroots, containers, tests).
    const enable = await session.change(['sh', '-c', 'mkdir -p "$(dirname "$2")" && ln -sf "$1" "$2"', 'sh', NET.unit, NET.wants], {
      timeoutS: 30,
      signal,
    });
    if (enable.code !== 0) throw new StepError(`cannot enable ${NET.service} on ${ctx.node}: ${lastLine(enable)}`);
    for (const b of bridgesOf(spec)) {
      const addr = `${b.gateway}/${b.netmask}`;
      ctx.progress(`bridge ${b.bridge} ${addr}`);
      const up = await session.change(
        [
          'sh',
          '-c',
          'ip link show "$1" >/dev/null 2>&1 || ip link add "$1" type bridge; ip -4 -o addr show dev "$1" | grep -q " inet $2 " || ip addr add "$2" dev "$1"; ip link set "$1" up',
          'sh',
          b.bridge,
          addr,
        ],
        { timeoutS: 30, signal },
      );
      if (up.code !== 0)
        throw new StepError(
          `cannot bring up bridge ${b.bridge} on ${ctx.node}: ${lastLine(up)}`,
          'ip link and ip addr need root on the node',
        );
    }
    if (!ctx.dryRun) await session.facts(true);
    ctx.changed();
  },
};

/** IPv4 forwarding, on now and at boot (sysctl.d). */
export const forwarding: NodeTask = {
  name: 'forwarding',
  async check(ctx) {
    const st = await ctx.state();
    return st.forward === '1' && st.files.get(ctx.session.net.sysctl) === SYSCTL_CONF;
  },
  async apply(ctx) {
    await ctx.session.writeFile(ctx.session.net.sysctl, SYSCTL_CONF, { mode: '0644', signal: ctx.signal });
    const r = await ctx.session.change(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { timeoutS: 30, signal: ctx.signal });
    if (r.code !== 0) throw new StepError(`cannot turn on IPv4 forwarding on ${ctx.node}: ${lastLine(r)}`);
    ctx.changed();
  },
};

/** The container network masqueraded to the outside, in lxc-wizard's own nftables table. */
export const masquerade: NodeTask = {
  name: 'masquerade',
  async check(ctx) {
    const st = await ctx.state();
    const NET = ctx.session.net;
    return (
      bridgesOf(ctx.spec).every((b) => st.nft.includes(masqueradeRule(b.bridge, b.network, b.netmask))) &&
      st.files.get(NET.script) === netScript(NET)
    );
  },
  async apply(ctx) {
    const { spec, session, signal } = ctx;
    const NET = session.net;
    if ((await ctx.state()).files.get(`${NET.bridges}/${spec.bridge}`) === undefined && !spec.useBridge) {
      // use_bridge false: the bridge conf still names the network to masquerade
      await session.writeFile(`${NET.bridges}/${spec.bridge}`, bridgeConf(spec.gateway, spec.netmask, spec.network), {
        mode: '0644',
        signal,
      });
    }
    if ((await ctx.state()).files.get(NET.script) !== netScript(NET))
      await session.writeFile(NET.script, netScript(NET), { mode: '0755', signal });
    ctx.progress(`nftables table ip ${NET.table}`);
    const r = await session.change(['sh', '-c', loadRuleset(NET), 'sh', NET.script], { timeoutS: 60, signal });
    if (r.code !== 0)
      throw new StepError(
        `cannot load the nftables table ip ${NET.table} on ${ctx.node}: ${lastLine(r)}`,
        'nft needs root and the nf_tables module on the node',
      );
    ctx.changed();
  },
};

const NODE_REGISTRY: [string, Record<string, boolean>][] = [
  ['cloud.yaml', { 'makina-states.cloud.is.lxchost': true, 'makina-states.cloud.is.compute_node': true }],
  ['services.yaml', { 'makina-states.services.virt.lxc': true }],
];

/** The makina-states registry keys of an LXC compute node (original-system.md §9.1). */
export const registry: NodeTask = {
  name: 'registry',
  async check(ctx) {
    const st = await ctx.state();
    for (const [file, keys] of NODE_REGISTRY) {
      const path = `${ctx.spec.registryDir}/${file}`;
      const text = st.files.get(path);
      if (registryText(text, path, keys) !== text) return false;
    }
    return true;
  },
  async apply(ctx) {
    const st = await ctx.state();
    for (const [file, keys] of NODE_REGISTRY) {
      const path = `${ctx.spec.registryDir}/${file}`;
      const text = st.files.get(path);
      const next = registryText(text, path, keys);
      if (next !== text) await ctx.session.writeFile(path, next, { mode: '0644', signal: ctx.signal });
    }
    ctx.changed();
  },
};

/**
 * The origin containers the node's clone entries need, stopped: copied from the controller when it
 * has one of that name (a tar stream over the node's one SSH connection), else created from the
 * template given. A running origin is never stopped behind the operator's back.
 */
export const origin: NodeTask = {
  name: 'origin',
  async check(ctx) {
    if (!ctx.spec.origins.length) return 'no clone entry on this node needs an origin';
    const f = await ctx.session.facts();
    for (const name of ctx.spec.origins) {
      const c = f.containers.get(name);
      if (c && c.state !== 'STOPPED') throw runningOrigin(ctx.node, name, c.state);
      if (!c) return false;
    }
    return true;
  },
  async apply(ctx) {
    const { session, spec, node, signal } = ctx;
    const f = await session.facts();
    for (const name of spec.origins) {
      if (f.containers.has(name)) continue;
      const source = await spec.originSource?.(name);
      if (source) {
        ctx.progress(`copying origin ${name} from ${source.what}`);
        const r = await session.change(
          [
            'sh',
            '-c',
            'set -e; d=$1/$2; [ ! -e "$d" ] || { echo "$d exists but is not a container LXC knows" >&2; exit 3; }; mkdir -p "$d.lxcw-tmp"; tar -C "$d.lxcw-tmp" --numeric-owner --xattrs --acls -xpf -; [ "$3" = "$1" ] || sed -i "s#$3/$2#$1/$2#g" "$d.lxcw-tmp/config"; mv "$d.lxcw-tmp" "$d"',
            'sh',
            f.lxcPath,
            name,
            source.lxcPath,
          ],
          { stdin: ctx.dryRun ? undefined : source.stream(), stdinNote: `a tar of ${source.what}`, timeoutS: 3 * 3600, signal },
        );
        if (r.code !== 0)
          throw new StepError(
            `copying origin ${name} to ${node} failed: ${lastLine(r)}`,
            `check the space under ${f.lxcPath} on ${node} (df -h)`,
          );
      } else if (spec.originTemplate) {
        const { template, release } = spec.originTemplate;
        ctx.progress(`lxc-create -n ${name} -t ${template}${release ? ` -- -r ${release}` : ''}`);
        const argv = ['lxc-create', '-n', name, '-t', template, ...(release ? ['--', '-r', release] : [])];
        const r = await session.change(argv, { timeoutS: 3600, signal, onLine: (l) => ctx.progress(l) });
        if (r.code !== 0)
          throw new StepError(
            `creating origin ${name} on ${node} failed: ${lastLine(r)}`,
            `run ${argv.join(' ')} on ${node} to see the whole output`,
          );
      } else {
        throw new StepError(
          `origin container ${name} does not exist on ${node}, and the controller has none to copy`,
          `pass --origin-template debian (or ubuntu) with --origin-release to create it, or create it on ${node} yourself`,
        );
      }
      if (!ctx.dryRun) await session.noteContainer(name, { state: 'STOPPED' });
    }
    if (!ctx.dryRun) await session.facts(true);
  },
};

function runningOrigin(node: string, name: string, state: string): StepError {
  return new StepError(
    `origin container ${name} is ${state.toLowerCase()} on ${node}; a clone needs it stopped, and lxc-wizard never stops a container behind your back`,
    `stop it yourself when nothing needs it (lxc-stop -n ${name} on ${node}), then run again`,
  );
}

/** The seed's install_vt, in order: keys first, so that everything after logs in with them. */
export const NODE_SETUP_TASKS: readonly NodeTask[] = [nodeSshkeys, lxc, bridge, forwarding, masquerade, registry, origin];
