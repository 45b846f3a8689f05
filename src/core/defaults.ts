import { formatWhere } from './errors.js';
import { DEFAULT_KEYS, FIELDS, fieldProblem } from './fields.js';
import type { Finding } from './findings.js';
import type { PillarModel } from './model.js';
import { didYouMean } from './naming.js';
import { broadcastOf, formatIPv4, inNetwork, networkOf, parseIPv4, parseNetmask } from './ipv4.js';
import { parseProfileType, type ProfileTypeName } from './profile-types.js';
import { DEFAULT_SIZE, type SizeName } from './sizes.js';

export type Env = 'prod' | 'dev';
export type Mode = 'mastersalt' | 'salt';

export const MODES: Record<Mode, { args: string; port: number; summary: string }> = {
  mastersalt: {
    args: '-C --from-salt-cloud --mastersalt-minion',
    port: 4606,
    summary: 'a mastersalt minion attached to the controller, plus a local salt master and minion',
  },
  salt: {
    args: '-C --from-salt-cloud -no-M',
    port: 4506,
    summary: 'only a salt minion attached to the master',
  },
};

/** The defaults every VM starts from (the seed's values), before pillar overrides. */
export interface Defaults {
  mode: Mode;
  profile_type: ProfileTypeName;
  /** a size name (the pillar key `profile` of an entry selects one) */
  size: SizeName | string;
  /** undefined: decided per type (overlayfs clones are snapshots) */
  snapshot: boolean | undefined;
  network: string;
  netmask: number;
  gateway: string;
  bridge: string;
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
    snapshot: undefined,
    network: '10.5.0.0',
    netmask: 16,
    gateway: '10.5.0.1',
    bridge: 'lxcbr1',
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
  defaults: Defaults;
  /** keys the pillar overrode: their source is 'pillar-default' */
  fromPillar: Set<string>;
  findings: Finding[];
}

/**
 * Built-in defaults overridden by makina-states.cloud.lxc.defaults.<key> (a whole value replaces
 * the default: the original extended lists, which nobody could predict).
 */
export function resolveDefaults(model: PillarModel, env: Env): ResolvedDefaults {
  const defaults = builtinDefaults(env) as unknown as Record<string, unknown>;
  const fromPillar = new Set<string>();
  const findings: Finding[] = [];
  for (const [rawKey, { value, line }] of Object.entries(model.defaults)) {
    const key = rawKey === 'default_container' ? 'from_container' : rawKey;
    const where = { file: model.file, line, field: `${'makina-states.cloud.lxc.defaults'}.${rawKey}` };
    if (!FIELDS[rawKey]?.defaults) {
      const guess = didYouMean(rawKey, DEFAULT_KEYS);
      findings.push({
        severity: 'warning',
        code: 'unknown-default',
        message: `unknown default '${rawKey}' is ignored`,
        where,
        hint: guess ? `did you mean '${guess}'?` : `known defaults: ${DEFAULT_KEYS.join(', ')}`,
      });
      continue;
    }
    const problem = fieldProblem(rawKey, value);
    if (problem) {
      findings.push({
        severity: 'error',
        code: 'bad-default',
        message: `${rawKey} ${problem}`,
        where,
        hint: `fix or remove the key at ${formatWhere(where)}`,
      });
      continue;
    }
    let v = value;
    if (key === 'netmask') v = parseNetmask(value);
    if (key === 'profile_type') v = parseProfileType(value).type;
    if ((key === 'dnsservers' || key === 'users' || key === 'lxc_conf_unset') && typeof value === 'string') v = [value];
    defaults[key] = v;
    fromPillar.add(key);
  }
  const d = defaults as unknown as Defaults;
  const problem = networkProblem(d.network, d.netmask, d.gateway);
  if (problem) {
    d.networkProblem = problem;
    const line = ['network', 'netmask', 'gateway'].map((k) => model.defaults[k]?.line).find((l) => l !== undefined);
    findings.push({
      severity: 'error',
      code: 'bad-network',
      message: `the default network ${d.network}/${d.netmask} with gateway ${d.gateway} ${problem}`,
      where: { file: model.file, ...(line ? { line } : {}), field: 'makina-states.cloud.lxc.defaults.network' },
      hint: 'fix network, netmask and gateway together; no address is allocated until they agree',
    });
  }
  return { defaults: d, fromPillar, findings };
}
