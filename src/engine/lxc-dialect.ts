import type { Backing } from '../core/profile-types.js';

/**
 * LXC 1.x and LXC >= 2 differ in command names and config keys. Everything version-dependent is
 * answered here; steps never test version numbers.
 */
export type Generation = 1 | 2;

export function generationOf(version: string): Generation {
  const major = Number(/^(\d+)/.exec(version.trim())?.[1] ?? 'NaN');
  return major >= 2 ? 2 : 1;
}

export interface NetKeys {
  type: string;
  link: string;
  flags: string;
  hwaddr: string;
  ipv4: string;
  gateway: string;
  autostart: string;
}

const KEYS: Record<Generation, NetKeys> = {
  1: {
    type: 'lxc.network.type',
    link: 'lxc.network.link',
    flags: 'lxc.network.flags',
    hwaddr: 'lxc.network.hwaddr',
    ipv4: 'lxc.network.ipv4',
    gateway: 'lxc.network.ipv4.gateway',
    autostart: 'lxc.start.auto',
  },
  2: {
    type: 'lxc.net.0.type',
    link: 'lxc.net.0.link',
    flags: 'lxc.net.0.flags',
    hwaddr: 'lxc.net.0.hwaddr',
    ipv4: 'lxc.net.0.ipv4.address',
    gateway: 'lxc.net.0.ipv4.gateway',
    autostart: 'lxc.start.auto',
  },
};

export function netKeys(g: Generation): NetKeys {
  return KEYS[g];
}

export interface CreateSpec {
  name: string;
  template: string;
  backing: Backing;
  vgname?: string;
  fssize?: string;
}

export interface CloneSpec {
  origin: string;
  name: string;
  backing: Backing;
  snapshot: boolean;
  vgname?: string;
  fssize?: string;
}

/** lxc-create is the same command in both generations. */
export function createCommand(s: CreateSpec): string[] {
  const argv = ['lxc-create', '-n', s.name, '-t', s.template, '-B', s.backing];
  if (s.backing === 'lvm') {
    if (s.vgname) argv.push('--vgname', s.vgname);
    if (s.fssize) argv.push('--fssize', s.fssize);
  }
  return argv;
}

/** lxc-clone (1.x) or lxc-copy (>= 2). LVM clones take the volume group from the origin (-v on 1.x). */
export function cloneCommand(g: Generation, s: CloneSpec): string[] {
  const argv =
    g === 1 ? ['lxc-clone', '-o', s.origin, '-n', s.name, '-B', s.backing] : ['lxc-copy', '-n', s.origin, '-N', s.name, '-B', s.backing];
  if (s.snapshot && s.backing !== 'dir') argv.push('-s');
  if (s.backing === 'lvm') {
    if (g === 1 && s.vgname) argv.push('-v', s.vgname);
    if (s.fssize) argv.push('-L', s.fssize);
  }
  return argv;
}

export interface NetworkSettings {
  bridge: string;
  mac: string;
  ip: string;
  netmask: number;
  gateway: string;
  autostart: boolean;
  lxcConf: Record<string, string>[];
  lxcConfUnset: string[];
}

const parseLine = (l: string) => {
  const m = /^\s*([A-Za-z0-9._]+)\s*=\s*(.*?)\s*$/.exec(l);
  return m ? { key: m[1]!, value: m[2]! } : undefined;
};

/**
 * The container config with our network, autostart and lxc_conf settings: lines we manage are
 * replaced in place (first occurrence) or appended, keys under lxc_conf_unset are removed, every
 * other line (comments included) is kept.
 */
export function rewriteConfig(text: string, g: Generation, n: NetworkSettings): string {
  const k = netKeys(g);
  const wanted = new Map<string, string>([
    [k.type, 'veth'],
    [k.link, n.bridge],
    [k.flags, 'up'],
    [k.hwaddr, n.mac],
    [k.ipv4, `${n.ip}/${n.netmask}`],
    [k.gateway, n.gateway],
    [k.autostart, n.autostart ? '1' : '0'],
  ]);
  for (const entry of n.lxcConf) for (const [key, value] of Object.entries(entry)) wanted.set(key, String(value));
  const unset = (key: string) => n.lxcConfUnset.some((p) => key === p || key.startsWith(p.endsWith('.') ? p : p + '.')) && !wanted.has(key);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  const written = new Set<string>();
  for (const l of lines) {
    const p = parseLine(l);
    if (!p || l.trimStart().startsWith('#')) {
      out.push(l);
      continue;
    }
    if (unset(p.key)) continue;
    if (wanted.has(p.key)) {
      if (written.has(p.key)) continue; // a repeated key would configure a second value
      out.push(`${p.key} = ${wanted.get(p.key)}`);
      written.add(p.key);
      continue;
    }
    out.push(l);
  }
  for (const [key, value] of wanted) if (!written.has(key)) out.push(`${key} = ${value}`);
  return out.join('\n') + '\n';
}

/** The values of the keys we manage, as a config file holds them (for checks and collisions). */
export function readNetwork(
  text: string,
  g: Generation,
): { link?: string; mac?: string; ip?: string; gateway?: string; autostart?: string } {
  const k = netKeys(g);
  const get = (key: string) => {
    for (const l of text.split('\n')) {
      const p = parseLine(l);
      if (p && !l.trimStart().startsWith('#') && p.key === key) return p.value;
    }
    return undefined;
  };
  return { link: get(k.link), mac: get(k.hwaddr), ip: get(k.ipv4)?.split('/')[0], gateway: get(k.gateway), autostart: get(k.autostart) };
}

/**
 * What lxc-wizard records in a container's config, as comment lines LXC ignores: `owner`, the
 * name of the container the tool made (or adopted) there: a clone copies its origin's config, so
 * the mark names the container, and a copy's mark names another one; `guest_net`, how the
 * guest's own network was configured (guest-net.ts), so a check knows which files to read.
 */
export interface ConfigMarks {
  owner?: string;
  guest_net?: string;
}

const MARK = /^#\s*lxc-wizard\.([a-z_]+)\s*=\s*(.*?)\s*$/;

export function readMarks(text: string): ConfigMarks {
  const marks: Record<string, string> = {};
  for (const l of text.split('\n')) {
    const m = MARK.exec(l);
    if (m && !(m[1]! in marks)) marks[m[1]!] = m[2]!;
  }
  return marks;
}

/** The config with these marks (replaced in place, or appended after the other lines); other marks kept. */
export function writeMarks(text: string, marks: ConfigMarks): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  const written = new Set<string>();
  for (const l of lines) {
    const m = MARK.exec(l);
    const key = m?.[1] as keyof ConfigMarks | undefined;
    if (key && marks[key] !== undefined) {
      if (!written.has(key)) out.push(`# lxc-wizard.${key} = ${marks[key]}`);
      written.add(key);
      continue;
    }
    out.push(l);
  }
  for (const [k, v] of Object.entries(marks)) if (v !== undefined && !written.has(k)) out.push(`# lxc-wizard.${k} = ${v}`);
  return out.join('\n') + '\n';
}

/**
 * The line of LXC's output that says why, without its source prefix. On stderr, `lxc-create:
 * NAME: ../src/lxc/lxccontainer.c: __lxcapi_create: 1799 Template "busyboxx" not found` gives
 * `Template "busyboxx" not found`: the last line before the generic ones LXC ends with ("Failed
 * to create container", where to find more). In a --logfile (`lxc-start NAME TIME ERROR module -
 * file:func:line - message`), errors cascade from the first: that one is the cause.
 */
export function lxcCause(output: string): string | undefined {
  const GENERIC =
    /^(Failed to (create|start|clone|copy|spawn) (the )?container|The container failed to start|To get more details|Additional information can be obtained|Received container state "ABORTING")/i;
  const raw = output.split('\n').filter((l) => /[A-Za-z]/.test(l));
  const logged = raw.map((l) => /^\S+ \S+ \d+\.\d+ ERROR\s+\S+ - \S+ - (.*)$/.exec(l)?.[1]).filter((m): m is string => !!m);
  if (logged.length) return logged.find((m) => !GENERIC.test(m));
  const lines = raw.map((l) => l.replace(/^lxc-[a-z]+: [^:]+: (\.\.\/)?src\/\S+: \S+: \d+ /, '').trim()).filter((l) => !GENERIC.test(l));
  return lines.at(-1);
}
