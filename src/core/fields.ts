import { macProblem, parseIPv4, parseNetmask } from './ipv4.js';
import { containerNameProblem, fqdnProblem, hostnameProblem, refNameProblem } from './naming.js';
import { parseProfileType, PROFILE_TYPE_NAMES } from './profile-types.js';
import { isSizeName, SIZE_NAMES } from './sizes.js';

/**
 * One schema for the keys of a VM entry and of makina-states.cloud.lxc.defaults.*:
 * the kind of each value, where it may appear, and its check.
 */
export type Kind =
  | 'bool'
  | 'string'
  | 'secret'
  | 'port'
  | 'ip'
  | 'ipList'
  | 'netmask'
  | 'mac'
  | 'mode'
  | 'profileType'
  | 'profile'
  | 'size'
  | 'diskSize'
  | 'container'
  | 'ref'
  | 'host'
  | 'hostList'
  | 'userList'
  | 'lxcConf'
  | 'stringList'
  | 'nullableSecret'
  | 'user';

export interface FieldSpec {
  kind: Kind;
  /** may appear in a VM entry */
  entry: boolean;
  /** may appear under makina-states.cloud.lxc.defaults */
  defaults: boolean;
}

const E = { entry: true, defaults: false };
const B = { entry: true, defaults: true };
const D = { entry: false, defaults: true };

/** A null-prototype table: keys come from pillars, and `constructor` or `__proto__` must find nothing. */
export const FIELDS: Record<string, FieldSpec> = Object.assign(Object.create(null) as Record<string, FieldSpec>, {
  profile: { kind: 'profile', ...B },
  profile_type: { kind: 'profileType', ...B },
  size: { kind: 'size', ...B },
  mode: { kind: 'mode', ...B },
  ip: { kind: 'ip', ...E },
  mac: { kind: 'mac', ...E },
  password: { kind: 'secret', ...E },
  from_container: { kind: 'container', ...B },
  default_container: { kind: 'container', ...D },
  image: { kind: 'ref', ...B },
  bootsalt_branch: { kind: 'ref', ...B },
  snapshot: { kind: 'bool', ...B },
  autostart: { kind: 'bool', ...B },
  sudo: { kind: 'bool', ...B },
  backing: { kind: 'string', ...B },
  vgname: { kind: 'container', ...B },
  lvname: { kind: 'container', ...B },
  use_bridge: { kind: 'bool', ...D },
  netmask_full: { kind: 'ip', ...D },
  gateway: { kind: 'ip', ...B },
  network: { kind: 'ip', ...B },
  netmask: { kind: 'netmask', ...B },
  bridge: { kind: 'container', ...B },
  dnsservers: { kind: 'ipList', ...B },
  domains: { kind: 'hostList', ...E },
  users: { kind: 'userList', ...B },
  ssh_username: { kind: 'user', ...B },
  master: { kind: 'host', ...B },
  master_port: { kind: 'port', ...B },
  script_args: { kind: 'string', ...B },
  bootsalt_args: { kind: 'string', ...D },
  bootsalt_mastersalt_args: { kind: 'string', ...D },
  lxc_conf: { kind: 'lxcConf', ...B },
  lxc_conf_unset: { kind: 'stringList', ...B },
  ssh_gateway: { kind: 'host', ...B },
  ssh_gateway_user: { kind: 'user', ...B },
  ssh_gateway_port: { kind: 'port', ...B },
  ssh_gateway_key: { kind: 'string', ...B },
  ssh_gateway_password: { kind: 'nullableSecret', ...B },
  ssh_reverse_proxy_port: { kind: 'port', ...E },
  ssh_port_range_start: { kind: 'port', ...D },
  ssh_port_range_end: { kind: 'port', ...D },
});

export const ENTRY_KEYS = Object.keys(FIELDS).filter((k) => FIELDS[k]!.entry);
export const DEFAULT_KEYS = Object.keys(FIELDS).filter((k) => FIELDS[k]!.defaults);
export const SECRET_KEYS = new Set(Object.keys(FIELDS).filter((k) => FIELDS[k]!.kind === 'secret' || FIELDS[k]!.kind === 'nullableSecret'));

/**
 * A key whose value is a secret wherever it stands: a secret's own name (`password`), or a flat
 * pillar key ending in `.` and one (`makina-states.cloud.ssh_gateway_password`,
 * `…saltify.targets.<cn>.password`).
 */
export function isSecretKey(key: string): boolean {
  if (SECRET_KEYS.has(key)) return true;
  const dot = key.lastIndexOf('.');
  return dot >= 0 && SECRET_KEYS.has(key.slice(dot + 1));
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const DISK_SIZE = /^[1-9][0-9]*(\.[0-9]+)?[kmgt]$/i;

function listOf(v: unknown, each: (x: unknown) => string | undefined): string | undefined {
  const arr = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(arr)) return 'must be a list';
  for (const x of arr) {
    const p = each(x);
    if (p) return `item ${JSON.stringify(x)} ${p}`;
  }
  return undefined;
}

function str(v: unknown, check?: (s: string) => string | undefined): string | undefined {
  if (typeof v !== 'string') return `must be a string, not ${describe(v)}`;
  return check?.(v);
}

/** What a value is, without showing it (for secrets). */
function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Why `value` is not acceptable for `key`, or undefined. Unknown keys are the caller's business. */
export function fieldProblem(key: string, value: unknown): string | undefined {
  const spec = FIELDS[key];
  if (!spec) return undefined;
  switch (spec.kind) {
    case 'bool':
      return typeof value === 'boolean' ? undefined : `must be true or false, not ${describe(value)}`;
    case 'string':
      return str(value);
    case 'secret':
      if (typeof value !== 'string') return `must be a string, not ${kindOf(value)}`;
      return str(value, (s) =>
        s.length === 0
          ? 'is empty'
          : /[\n\r\0:]/.test(s)
            ? "must not contain ':' or line breaks (chpasswd reads user:password lines)"
            : undefined,
      );
    case 'nullableSecret':
      return value === null || typeof value === 'string' ? undefined : `must be a string, not ${kindOf(value)}`;
    case 'port':
      return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536
        ? undefined
        : `must be a port number (1-65535), not ${describe(value)}`;
    case 'ip':
      return str(value, (s) => (parseIPv4(s) === undefined ? 'is not an IPv4 address' : undefined));
    case 'ipList':
      return listOf(value, (x) => (typeof x === 'string' && parseIPv4(x) !== undefined ? undefined : 'is not an IPv4 address'));
    case 'netmask':
      return parseNetmask(value) === undefined ? `must be a prefix length (16) or a mask (255.255.0.0), not ${describe(value)}` : undefined;
    case 'mac':
      return str(value, macProblem);
    case 'mode':
      return value === 'salt' || value === 'mastersalt' ? undefined : `must be mastersalt or salt, not ${describe(value)}`;
    case 'profileType':
      return parseProfileType(value).type ? undefined : `must be one of ${PROFILE_TYPE_NAMES.join(', ')}, not ${describe(value)}`;
    case 'profile':
      // A size name, or a full salt-cloud profile name used verbatim (as the original did).
      return str(value, (s) => (isSizeName(s) ? undefined : refNameProblem(s)));
    case 'size':
      return str(value, (s) =>
        isSizeName(s) || DISK_SIZE.test(s) || /^[a-z][a-z0-9_-]{0,31}$/.test(s)
          ? undefined
          : `must be one of ${SIZE_NAMES.join(', ')} (or a size lxc_cloud_profiles adds) or a size like 12g`,
      );
    case 'diskSize':
      return str(value, (s) => (DISK_SIZE.test(s) ? undefined : 'must be a size like 12g'));
    case 'container':
      return str(value, containerNameProblem);
    case 'ref':
      return str(value, refNameProblem);
    case 'host':
      return str(value, (s) => (parseIPv4(s) !== undefined ? undefined : hostnameProblem(s)));
    case 'hostList':
      return listOf(value, (x) => (typeof x === 'string' ? fqdnProblem(x) : 'is not a string'));
    case 'user':
      return str(value, (s) => (USER.test(s) ? undefined : 'is not a user name'));
    case 'userList':
      return listOf(value, (x) => (typeof x === 'string' && USER.test(x) ? undefined : 'is not a user name'));
    case 'stringList':
      return listOf(value, (x) => (typeof x === 'string' && /^lxc\.[A-Za-z0-9._]+$/.test(x) ? undefined : 'is not an lxc.* key prefix'));
    case 'lxcConf':
      return listOf(value, (x) => {
        if (x === null || typeof x !== 'object' || Array.isArray(x)) return 'must be a one-key mapping {lxc.key: value}';
        const ks = Object.keys(x);
        if (ks.length !== 1 || !/^lxc\.[A-Za-z0-9._]+$/.test(ks[0]!)) return 'must be a one-key mapping {lxc.key: value}';
        const val = (x as Record<string, unknown>)[ks[0]!];
        return typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean'
          ? /[\n\r]/.test(String(val))
            ? 'has a line break'
            : undefined
          : 'has a value that is not a scalar';
      });
  }
}
