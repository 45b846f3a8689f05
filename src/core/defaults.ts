import { formatWhere } from './errors.js';
import { FIELDS, fieldProblem } from './fields.js';
import type { Finding } from './findings.js';
import { broadcastOf, formatIPv4, inNetwork, networkOf, parseIPv4, parseNetmask } from './ipv4.js';
import { mcDefaults, type Tree } from './mc-defaults.js';
import { PILLAR_KEYS, type PillarModel } from './model.js';
import { parseProfileType, type ProfileTypeName } from './profile-types.js';
import { DEFAULT_SIZE, SIZES, type SizeName } from './sizes.js';

export type Env = 'prod' | 'dev';
export type Mode = 'mastersalt' | 'salt';

export interface ModeInfo {
  args: string;
  port: number;
  summary: string;
  /** the controller's code root (makina-states checkout, boot-salt.sh) */
  root: string;
  /** the controller's configuration prefix: cloud.providers.d, cloud.profiles.d, makina-states registries */
  config: string;
  /** the master's pki directory: minions/<id> holds accepted keys */
  pki: string;
}

/** The two salt layouts of makina-states (original-system.md §0 and §6). */
export const MODES: Record<Mode, ModeInfo> = {
  mastersalt: {
    args: '-C --from-salt-cloud --mastersalt-minion',
    port: 4606,
    summary: 'a mastersalt minion attached to the controller, plus a local salt master and minion',
    root: '/srv/mastersalt',
    config: '/etc/mastersalt',
    pki: '/etc/mastersalt/pki/master',
  },
  salt: {
    args: '-C --from-salt-cloud -no-M',
    port: 4506,
    summary: 'only a salt minion attached to the master',
    root: '/srv/salt',
    config: '/etc/salt',
    pki: '/etc/salt/pki/master',
  },
};

/** The bootstrap's base arguments for a mode (original-system.md §6.1): the pillar's bootsalt_[mastersalt_]args. */
export function bootsaltArgs(d: Defaults, mode: Mode): string {
  return mode === 'mastersalt' ? d.bootsalt_mastersalt_args : d.bootsalt_args;
}

/** The seed's `script`: the bootstrap in the controller's makina-states checkout for the mode. */
export function bootScriptPath(mode: Mode): string {
  return `${MODES[mode].root}/makina-states/_scripts/boot-salt.sh`;
}

/** The defaults every VM starts from (the seed's values), after the pillar's settings. */
export interface Defaults {
  mode: Mode;
  profile_type: ProfileTypeName;
  /** the default size name (`makina-states.cloud.lxc.defaults.profile`, as the original read it) */
  size: SizeName | string;
  /** a default `profile:` that is not a size name: a salt-cloud profile name used verbatim */
  profile: string | undefined;
  /** size name → disk size, the 11 of the seed as lxc_cloud_profiles may change or extend them */
  sizes: Record<string, string>;
  /** undefined: decided per type (overlayfs clones are snapshots) */
  snapshot: boolean | undefined;
  network: string;
  netmask: number;
  gateway: string;
  bridge: string;
  /** the node's bridge is made and kept by node setup (the original's lxc-net-makina job) */
  use_bridge: boolean;
  from_container: string;
  image: string;
  vgname: string;
  dnsservers: string[];
  users: string[];
  ssh_username: string;
  sudo: boolean;
  autostart: boolean;
  bootsalt_branch: string;
  bootsalt_args: string;
  bootsalt_mastersalt_args: string;
  master: string | undefined;
  master_port: number | undefined;
  script_args: string | undefined;
  ssh_gateway: string | undefined;
  ssh_gateway_user: string;
  ssh_gateway_port: number;
  ssh_gateway_key: string;
  ssh_gateway_password: string | null;
  lxc_conf: unknown[];
  lxc_conf_unset: string[];
  ssh_port_range_start: number;
  ssh_port_range_end: number;
  /** set when network, netmask and gateway do not make a usable network: nothing is allocated */
  networkProblem?: string;
}

export function builtinDefaults(env: Env): Defaults {
  return {
    mode: 'mastersalt',
    profile_type: env === 'prod' ? 'lvm' : 'overlayfs',
    size: DEFAULT_SIZE,
    profile: undefined,
    sizes: { ...SIZES },
    snapshot: undefined,
    network: '10.5.0.0',
    netmask: 16,
    gateway: '10.5.0.1',
    bridge: 'lxcbr1',
    use_bridge: true,
    from_container: 'makina-states-precise',
    image: 'ubuntu',
    vgname: 'lxc',
    dnsservers: ['8.8.8.8', '4.4.4.4'],
    users: ['root', 'sysadmin'],
    ssh_username: 'ubuntu',
    sudo: true,
    autostart: true,
    bootsalt_branch: env === 'prod' ? 'stable' : 'master',
    bootsalt_args: MODES.salt.args,
    bootsalt_mastersalt_args: MODES.mastersalt.args,
    master: undefined,
    master_port: undefined,
    script_args: undefined,
    ssh_gateway: undefined,
    ssh_gateway_user: 'root',
    ssh_gateway_port: 22,
    ssh_gateway_key: '/root/.ssh/id_dsa',
    ssh_gateway_password: null,
    lxc_conf: [],
    lxc_conf_unset: [],
    ssh_port_range_start: 40000,
    ssh_port_range_end: 50000,
  };
}

/**
 * Why network/prefix with this gateway is no usable bridge network, or undefined. A prefix under
 * 8 or over 30 is refused: too wide to be a bridge, or too narrow for a gateway and one VM.
 */
export function networkProblem(network: string, prefix: number, gateway: string): string | undefined {
  const net = parseIPv4(network);
  const gw = parseIPv4(gateway);
  if (net === undefined) return 'has a network that is not an IPv4 address';
  if (gw === undefined) return 'has a gateway that is not an IPv4 address';
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) return `has a netmask of /${prefix}: it must be from /8 to /30`;
  const n = networkOf(net, prefix);
  if (n.base !== net) return `is not a network address (/${prefix} makes it ${formatIPv4(n.base)})`;
  if (!inNetwork(gw, n) || gw === n.base || gw === broadcastOf(n))
    return 'has a gateway outside the network, or on its network or broadcast address';
  return undefined;
}

export interface ResolvedDefaults {
  /** --env, else the pillar's default_env (prod and preprod count as prod), else prod */
  env: Env;
  defaults: Defaults;
  /** default keys the pillar set: their source is 'pillar-default' */
  fromPillar: Set<string>;
  /** default key → the pillar key and line that set it (shown by `settings`) */
  origin: Map<string, { key: string; line: number }>;
  findings: Finding[];
}

/** Keys under makina-states.cloud that configure other parts of makina-states, not read here. */
const OTHER_PARTS = ['lxc', 'compute_node', 'saltify', 'images', 'controller', 'generic'];

/**
 * The defaults a VM of this pillar starts from, read as the original read them: the global cloud
 * settings (`makina-states.cloud.*`), the lxc settings (`makina-states.cloud.lxc.*`, where
 * `defaults.*` are the per-VM defaults, `dnsservers` the DNS servers and `lxc_cloud_profiles`
 * the sizes) and the compute node settings (`makina-states.cloud.compute_node.*`), each in flat
 * or map form, with the original's precedence. Every key under makina-states.cloud that nothing
 * reads is a warning with its line.
 */
export function resolveDefaults(model: PillarModel, envFlag?: Env): ResolvedDefaults {
  const findings: Finding[] = [];
  const file = model.file;
  const settings = model.settings;
  const origin = new Map<string, { key: string; line: number }>();

  const envSetting = settings.find((s) => s.key === 'default_env');
  let env: Env = envFlag ?? 'prod';
  if (!envFlag && envSetting) {
    if (envSetting.value === 'prod' || envSetting.value === 'preprod') env = 'prod';
    else if (envSetting.value === 'dev') env = 'dev';
    else {
      findings.push({
        severity: 'warning',
        code: 'unknown-env',
        message: `default_env ${JSON.stringify(envSetting.value)} is neither prod, preprod nor dev; lxc-wizard reads it as dev`,
        where: { file, line: envSetting.line, field: 'default_env' },
        hint: 'prod and preprod give the stable branch and LVM; dev gives the master branch and overlayfs snapshots',
      });
      env = 'dev';
    }
  }
  const base = builtinDefaults(env);

  // makina-states.cloud: the settings the lxc defaults start from (mc_cloud.py L148-162).
  const cloud = mcDefaults(
    PILLAR_KEYS.cloud,
    {
      mode: base.mode,
      master: null,
      master_port: null,
      bootsalt_branch: null,
      bootsalt_args: base.bootsalt_args,
      bootsalt_mastersalt_args: base.bootsalt_mastersalt_args,
      ssh_gateway: null,
      ssh_gateway_user: base.ssh_gateway_user,
      ssh_gateway_key: base.ssh_gateway_key,
      ssh_gateway_port: base.ssh_gateway_port,
      ssh_gateway_password: null,
    },
    settings,
    { exclude: OTHER_PARTS },
  );
  const compute = mcDefaults(
    PILLAR_KEYS.computeNode,
    { ssh_port_range_start: null, ssh_port_range_end: null, ssh_start_port: null, has: { firewall: true } },
    settings,
    {
      exclude: ['conf'],
    },
  );
  const c = cloud.value;
  const cn = compute.value;

  // makina-states.cloud.lxc: defaults start from the cloud settings, as mc_cloud_lxc.settings built them.
  const lxcDefaults: Tree = {
    ...Object.fromEntries(Object.entries(base).filter(([k]) => !['sizes', 'size', 'profile', 'networkProblem'].includes(k))),
    profile: base.size,
    size: null,
    default_container: base.from_container,
    netmask_full: null,
    backing: null,
    lvname: null,
    mode: c.mode,
    master: c.master,
    master_port: c.master_port,
    bootsalt_branch: c.bootsalt_branch ?? base.bootsalt_branch,
    bootsalt_args: c.bootsalt_args,
    bootsalt_mastersalt_args: c.bootsalt_mastersalt_args,
    ssh_gateway: c.ssh_gateway,
    ssh_gateway_user: c.ssh_gateway_user,
    ssh_gateway_key: c.ssh_gateway_key,
    ssh_gateway_port: c.ssh_gateway_port,
    ssh_gateway_password: c.ssh_gateway_password,
    ssh_port_range_start: cn.ssh_port_range_start ?? cn.ssh_start_port ?? base.ssh_port_range_start,
    ssh_port_range_end: cn.ssh_port_range_end ?? base.ssh_port_range_end,
    // the DNS servers are the top-level lxc key; defaults.dnsservers (lxc-wizard's) may set them per file
    dnsservers: null,
  };
  const lxc = mcDefaults(
    PILLAR_KEYS.lxc,
    {
      dnsservers: base.dnsservers,
      lxc_cloud_profiles: Object.fromEntries(Object.entries(SIZES).map(([k, v]) => [k, { size: v }])),
      defaults: lxcDefaults,
    },
    settings,
    { exclude: ['vms'] },
  );

  for (const u of [...cloud.unknown, ...lxc.unknown, ...compute.unknown]) {
    findings.push({
      severity: 'warning',
      code: 'unknown-setting',
      message: `${u.key} is not read by lxc-wizard (nor by the original's lxc provisioning); it has no effect`,
      where: { file, line: u.line, field: u.key },
      hint: u.guess ? `did you mean ${u.guess}?` : 'check the key against the README ("Migrating a makina-states pillar")',
    });
  }

  // Where each default key came from, most specific layer first.
  const note = (key: string, prefix: string, path: string, r: { sources: Map<string, number> }) => {
    const line = r.sources.get(path);
    if (line !== undefined && !origin.has(key)) origin.set(key, { key: `${prefix}.${path}`, line });
  };
  for (const k of Object.keys(lxcDefaults)) note(k, PILLAR_KEYS.lxc, `defaults.${k}`, lxc);
  for (const k of Object.keys(c)) note(k, PILLAR_KEYS.cloud, k, cloud);
  note('dnsservers', PILLAR_KEYS.lxc, 'dnsservers', lxc);
  note('ssh_port_range_start', PILLAR_KEYS.computeNode, 'ssh_port_range_start', compute);
  note('ssh_port_range_start', PILLAR_KEYS.computeNode, 'ssh_start_port', compute);
  note('ssh_port_range_end', PILLAR_KEYS.computeNode, 'ssh_port_range_end', compute);
  if (envSetting && !envFlag && !origin.has('bootsalt_branch') && (env === 'prod' || envSetting.value === 'dev')) {
    origin.set('bootsalt_branch', { key: 'default_env', line: envSetting.line });
  }

  const L = lxc.value.defaults as Tree;
  const defaults = { ...base } as Defaults;
  const fromPillar = new Set<string>();
  const put = (key: keyof Defaults, raw: unknown, fieldKey: string = key) => {
    const o = origin.get(fieldKey) ?? origin.get(key);
    if (!o) return;
    const problem = Object.hasOwn(FIELDS, fieldKey) ? fieldProblem(fieldKey, raw) : undefined;
    if (problem) {
      findings.push({
        severity: 'error',
        code: 'bad-default',
        message: `${fieldKey} ${problem}`,
        where: { file, line: o.line, field: o.key },
        hint: `fix or remove ${formatWhere({ file, line: o.line, field: o.key })}`,
      });
      return;
    }
    let v = raw;
    if (key === 'netmask') v = parseNetmask(raw);
    if (key === 'profile_type') v = parseProfileType(raw).type;
    if ((key === 'dnsservers' || key === 'users' || key === 'lxc_conf_unset') && typeof raw === 'string') v = [raw];
    // checked above by the key's field rule: v has the key's type
    Object.assign(defaults, { [key]: v });
    fromPillar.add(key);
  };
  for (const key of Object.keys(base) as (keyof Defaults)[]) {
    if (['sizes', 'size', 'profile', 'from_container', 'networkProblem', 'dnsservers'].includes(key)) continue;
    // profile and size are the default size, handled below
    if (L[key] !== undefined && L[key] !== null) put(key, L[key]);
  }
  // default_container is the original's name for the default origin; from_container is ours.
  if (origin.has('from_container')) put('from_container', L.from_container);
  else if (origin.has('default_container')) put('from_container', L.default_container, 'default_container');
  // dnsservers: lxc-wizard's defaults.dnsservers, else the original's top-level lxc dnsservers
  if (origin.has('dnsservers') && L.dnsservers !== null && origin.get('dnsservers')!.key.endsWith('defaults.dnsservers'))
    put('dnsservers', L.dnsservers);
  else if (lxc.sources.has('dnsservers')) {
    origin.set('dnsservers', { key: `${PILLAR_KEYS.lxc}.dnsservers`, line: lxc.sources.get('dnsservers')! });
    put('dnsservers', lxc.value.dnsservers);
  }

  // Sizes: lxc_cloud_profiles.<size>.size may change any size or add one.
  const profiles = lxc.value.lxc_cloud_profiles as Record<string, unknown>;
  defaults.sizes = {};
  for (const [name, p] of Object.entries(profiles)) {
    const size = p && typeof p === 'object' ? (p as { size?: unknown }).size : undefined;
    if (typeof size === 'string' && /^[1-9][0-9]*(\.[0-9]+)?[kmgt]$/i.test(size)) defaults.sizes[name] = size;
    else {
      const line = lxc.sources.get(`lxc_cloud_profiles.${name}.size`) ?? lxc.sources.get(`lxc_cloud_profiles.${name}`);
      findings.push({
        severity: 'error',
        code: 'bad-default',
        message: `the size of ${name} must be a size like 12g, not ${JSON.stringify(size)}`,
        where: { file, ...(line ? { line } : {}), field: `${PILLAR_KEYS.lxc}.lxc_cloud_profiles.${name}.size` },
        hint: 'write it as 500m, 10g or 2t',
      });
    }
  }
  // The default size is the defaults' `profile` (the original's); `size` is lxc-wizard's older name.
  const sizeKey = origin.has('profile') ? 'profile' : origin.has('size') ? 'size' : undefined;
  if (sizeKey) {
    const v = L[sizeKey];
    const o = origin.get(sizeKey)!;
    if (typeof v === 'string' && Object.hasOwn(defaults.sizes, v)) {
      defaults.size = v;
      fromPillar.add('size');
    } else if (sizeKey === 'profile' && typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
      defaults.profile = v;
      fromPillar.add('profile');
    } else {
      findings.push({
        severity: 'error',
        code: 'bad-default',
        message: `${sizeKey} ${JSON.stringify(v)} is not a size name`,
        where: { file, line: o.line, field: o.key },
        hint: `one of ${Object.keys(defaults.sizes).join(', ')}`,
      });
    }
  }

  const problem = networkProblem(defaults.network, defaults.netmask, defaults.gateway);
  if (problem) {
    defaults.networkProblem = problem;
    const line = ['network', 'netmask', 'gateway'].map((k) => origin.get(k)?.line).find((l) => l !== undefined);
    findings.push({
      severity: 'error',
      code: 'bad-network',
      message: `the default network ${defaults.network}/${defaults.netmask} with gateway ${defaults.gateway} ${problem}`,
      where: { file, ...(line ? { line } : {}), field: 'makina-states.cloud.lxc.defaults.network' },
      hint: 'fix network, netmask and gateway together; no address is allocated until they agree',
    });
  }
  if (defaults.ssh_port_range_end < defaults.ssh_port_range_start) {
    const o = origin.get('ssh_port_range_end') ?? origin.get('ssh_port_range_start');
    findings.push({
      severity: 'error',
      code: 'bad-default',
      message: `the ssh port range ${defaults.ssh_port_range_start}-${defaults.ssh_port_range_end} is empty`,
      where: { file, ...(o ? { line: o.line, field: o.key } : {}) },
      hint: 'the end of the range must not be below its start',
    });
  }
  return { env, defaults, fromPillar, origin, findings };
}
