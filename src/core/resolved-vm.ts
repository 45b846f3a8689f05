import type { Mode } from './defaults.js';
import { UserError } from './errors.js';
import type { ProfileTypeInfo } from './profile-types.js';
import type { VmSettings } from './settings.js';

/**
 * A VM with every setting resolved and typed: what the engine provisions. Built from the settings
 * once everything pending has been allocated; a value still pending, or of the wrong type, is an
 * error here rather than a surprise in a remote command.
 */
export interface ResolvedVm {
  node: string;
  name: string;
  type: ProfileTypeInfo;
  ip: string;
  mac: string;
  password: string;
  gateway: string;
  netmask: number;
  bridge: string;
  autostart: boolean;
  snapshot: boolean;
  from_container: string | null;
  image: string;
  vgname?: string;
  size?: string;
  dnsservers: string[];
  domains: string[];
  users: string[];
  ssh_username: string;
  mode: Mode;
  master: string;
  master_port: number;
  script_args: string;
  lxc_conf: Record<string, string>[];
  lxc_conf_unset: string[];
  ssh_reverse_proxy_port: number;
}

export function resolvedVm(s: VmSettings): ResolvedVm {
  const f = s.fields;
  const bad = (key: string, what: string): never => {
    const pending = f[key]?.source === 'pending';
    throw new UserError(`${s.name} on ${s.node}: ${key} ${pending ? 'is not allocated yet' : `is not ${what}`}`, {
      where: { field: key, node: s.node },
      hint: pending ? 'write the entry first (lxc-wizard add), which allocates it' : `fix ${key} in the pillar (lxc-wizard validate)`,
    });
  };
  const str = (key: string): string => (typeof f[key]?.value === 'string' ? (f[key]!.value as string) : bad(key, 'a string'));
  const num = (key: string): number => (typeof f[key]?.value === 'number' ? (f[key]!.value as number) : bad(key, 'a number'));
  const bool = (key: string): boolean => (typeof f[key]?.value === 'boolean' ? (f[key]!.value as boolean) : bad(key, 'true or false'));
  const strs = (key: string): string[] => {
    const v = f[key]?.value;
    if (typeof v === 'string') return [v];
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : bad(key, 'a list of strings');
  };
  const optStr = (key: string): string | undefined => (f[key] === undefined || f[key]!.value === null ? undefined : str(key));
  const lxcConf = (): Record<string, string>[] => {
    const v = f.lxc_conf?.value;
    if (v === null || v === undefined) return [];
    if (!Array.isArray(v)) return bad('lxc_conf', 'a list of {lxc.key: value}');
    return v.map((x) => Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, val]) => [k, String(val)])));
  };
  const mode = str('mode');
  if (mode !== 'salt' && mode !== 'mastersalt') bad('mode', 'salt or mastersalt');
  return {
    node: s.node,
    name: s.name,
    type: s.type,
    ip: str('ip'),
    mac: str('mac'),
    password: str('password'),
    gateway: str('gateway'),
    netmask: num('netmask'),
    bridge: str('bridge'),
    autostart: bool('autostart'),
    snapshot: bool('snapshot'),
    from_container: s.type.install === 'clone' ? str('from_container') : null,
    image: str('image'),
    ...(s.type.sized ? { vgname: optStr('vgname'), size: optStr('size') } : {}),
    dnsservers: strs('dnsservers'),
    domains: strs('domains'),
    users: strs('users'),
    ssh_username: str('ssh_username'),
    mode: mode as Mode,
    master: str('master'),
    master_port: num('master_port'),
    script_args: str('script_args'),
    lxc_conf: lxcConf(),
    lxc_conf_unset: f.lxc_conf_unset?.value === null ? [] : strs('lxc_conf_unset'),
    ssh_reverse_proxy_port: num('ssh_reverse_proxy_port'),
  };
}
