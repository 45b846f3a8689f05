import type { PendingValues } from './allocation.js';
import { bootsaltArgs, bootScriptPath, MODES, type Env, type Mode, type ResolvedDefaults } from './defaults.js';
import { SECRET_KEYS, fieldProblem } from './fields.js';
import { parseNetmask } from './ipv4.js';
import type { StoredVm, VmEntry } from './model.js';
import { profileName } from './naming.js';
import { parseProfileType, PROFILE_TYPES, type ProfileTypeInfo } from './profile-types.js';

export interface SettingsContext {
  /** --env or LXC_WIZARD_ENV; undefined: the pillar's default_env decides (else prod) */
  env: Env | undefined;
  /** the controller's FQDN: the salt master VMs attach to */
  controller: string;
}

/** Where a value came from: shown by `settings` and the review screen. */
export type Source = 'default' | 'pillar-default' | 'entry' | 'stored' | 'pending' | 'derived';

export interface SettingField {
  value: unknown;
  source: Source;
  /** re-read on every run (the seed: gateway, ip, ssh_reverse_proxy_port) */
  live?: boolean;
  secret?: boolean;
}

export interface VmSettings {
  node: string;
  name: string;
  type: ProfileTypeInfo;
  fields: Record<string, SettingField>;
}

const LIVE = new Set(['gateway', 'ip', 'ssh_reverse_proxy_port']);

/**
 * The seed's get_settings_for_vm: built-in defaults < pillar defaults < the entry; generated values
 * come from the store, else they are pending (shown, not allocated). Pure: reading never writes.
 */
export function resolveSettings(
  entry: VmEntry,
  rd: ResolvedDefaults,
  ctx: SettingsContext,
  stored: StoredVm = {},
  pending: PendingValues = {},
): VmSettings {
  // the defaults by key name: entry keys and default keys share names (FIELDS)
  const d = new Map<string, unknown>(Object.entries(rd.defaults));
  const k = entry.keys;
  const fields: Record<string, SettingField> = {};
  const valid = (key: string) => k[key] !== undefined && fieldProblem(key, k[key]) === undefined;
  const set = (key: string, value: unknown, source: Source) => {
    fields[key] = { value, source, ...(LIVE.has(key) ? { live: true } : {}), ...(SECRET_KEYS.has(key) ? { secret: true } : {}) };
  };
  /** entry value, else pillar default, else built-in default */
  const pick = (key: string, defaultKey = key) => {
    if (valid(key)) set(key, k[key], 'entry');
    else set(key, d.get(defaultKey) ?? null, rd.fromPillar.has(defaultKey) ? 'pillar-default' : 'default');
    return fields[key]!.value;
  };

  const typeName = (valid('profile_type') && parseProfileType(k.profile_type).type) || rd.defaults.profile_type;
  const type = PROFILE_TYPES[typeName];
  set('profile_type', typeName, valid('profile_type') ? 'entry' : rd.fromPillar.has('profile_type') ? 'pillar-default' : 'default');
  set('backing', type.backing, 'derived');
  set('name', entry.name, 'entry');

  const mode = pick('mode') as Mode;
  const branch = pick('bootsalt_branch') as string;
  pick('bridge');
  pick('gateway');
  pick('network');
  if (valid('netmask')) set('netmask', parseNetmask(k.netmask), 'entry');
  else pick('netmask');
  pick('dnsservers');
  pick('users');
  pick('ssh_username');
  pick('sudo');
  pick('autostart');
  pick('image');
  pick('lxc_conf');
  pick('lxc_conf_unset');
  pick('ssh_gateway_user');
  pick('ssh_gateway_port');
  pick('ssh_gateway_key');
  pick('ssh_gateway_password');

  if (type.install === 'clone') pick('from_container');
  else set('from_container', null, 'derived');

  const others = Array.isArray(k.domains) ? (k.domains as string[]).filter((x) => x !== entry.name).sort() : [];
  set('domains', [entry.name, ...others], Array.isArray(k.domains) ? 'entry' : 'derived');

  // The pillar key `profile` holds a size name (of the seed's table as lxc_cloud_profiles left
  // it); any other value is a full salt-cloud profile name, used verbatim, as the original did.
  const sizes = rd.defaults.sizes;
  const isSize = (v: unknown): v is string => typeof v === 'string' && Object.hasOwn(sizes, v);
  const sizeFromProfile = isSize(k.profile) ? k.profile : undefined;
  const sizeName = sizeFromProfile ?? (valid('size') && isSize(k.size) ? k.size : rd.defaults.size);
  if (typeof k.profile === 'string' && !sizeFromProfile && valid('profile')) set('profile', k.profile, 'entry');
  else if (k.profile === undefined && rd.defaults.profile) set('profile', rd.defaults.profile, 'pillar-default');
  else set('profile', profileName(entry.node, typeName, sizeName), 'derived');
  if (type.sized) {
    const raw = valid('size') && !isSize(k.size) ? (k.size as string) : undefined;
    const source: Source = raw || sizeFromProfile || valid('size') ? 'entry' : rd.fromPillar.has('size') ? 'pillar-default' : 'default';
    set('size', raw ?? sizes[sizeName] ?? sizeName, source);
    pick('vgname');
  }

  if (type.install === 'create') set('snapshot', false, 'derived');
  else if (valid('snapshot')) set('snapshot', type.backing === 'dir' ? false : k.snapshot, 'entry');
  else if (rd.defaults.snapshot !== undefined) set('snapshot', type.backing === 'dir' ? false : rd.defaults.snapshot, 'pillar-default');
  else set('snapshot', type.backing === 'overlayfs', 'derived');

  if (valid('master_port')) set('master_port', k.master_port, 'entry');
  else if (rd.defaults.master_port !== undefined) set('master_port', rd.defaults.master_port, 'pillar-default');
  else set('master_port', MODES[mode].port, 'derived');

  if (valid('master')) set('master', k.master, 'entry');
  // A VM on the controller itself reaches its master through the bridge gateway (mc_cloud_lxc L279-292);
  // the node `localhost` is the controller by definition, whatever --controller names it.
  else if (isControllerNode(entry.node, ctx.controller)) set('master', fields.gateway!.value, 'derived');
  else if (rd.defaults.master !== undefined) set('master', rd.defaults.master, 'pillar-default');
  else set('master', ctx.controller, 'derived');

  if (valid('script_args')) set('script_args', withBranch(k.script_args as string, branch), 'entry');
  else if (rd.defaults.script_args !== undefined) set('script_args', withBranch(rd.defaults.script_args, branch), 'pillar-default');
  else set('script_args', withBranch(bootsaltArgs(rd.defaults, mode), branch), 'derived');

  // The seed's `script`: the controller's makina-states checkout's bootstrap for the mode
  // (used when it exists there; --bootsalt-script overrides it).
  set('script', bootScriptPath(mode), 'derived');

  if (valid('ssh_gateway')) set('ssh_gateway', k.ssh_gateway, 'entry');
  else set('ssh_gateway', rd.defaults.ssh_gateway ?? entry.node, rd.defaults.ssh_gateway ? 'pillar-default' : 'derived');

  for (const key of ['ip', 'mac', 'password', 'ssh_reverse_proxy_port'] as const) {
    if (valid(key)) set(key, k[key], 'entry');
    else if (stored[key] !== undefined) set(key, stored[key], 'stored');
    else set(key, key === 'ip' || key === 'ssh_reverse_proxy_port' ? (pending[key] ?? null) : null, 'pending');
  }

  // Keys the original passed through unchanged (custom keys, lvname…): kept, flagged by validate.
  for (const [key, value] of Object.entries(k)) {
    const lvmOnly = key === 'size' || key === 'vgname' || key === 'lvname';
    if (fields[key] === undefined && !(lvmOnly && !type.sized)) set(key, value, 'entry');
  }
  return { node: entry.node, name: entry.name, type, fields: sortKeys(fields) };
}

/** Append ` -b <branch>` unless the args already name a branch (the original's `and` let `-b x` through twice). */
export function withBranch(args: string, branch: string): string {
  return /(^|\s)(-b|--branch)(\s|=|$)/.test(args) ? args : `${args} -b ${branch}`;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Plain values, secrets hidden unless asked: what --json and the text view print. */
export function settingsValues(s: VmSettings, showSecrets: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(s.fields)) out[key] = f.secret && !showSecrets && f.value !== null ? '<hidden>' : f.value;
  return out;
}

/** The compute node is the controller itself: named as it, or `localhost` (reached as local processes). */
export function isControllerNode(node: string, controller: string): boolean {
  return node === controller || node === 'localhost';
}
