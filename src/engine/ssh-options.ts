import { existsSync } from 'node:fs';
import { KINDS, readLocalTextSync } from './local-files.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import type { HostKeyPolicy } from './known-hosts.js';

/** How to reach one compute node, following the operator's OpenSSH configuration. */
export interface SshTarget {
  node: string;
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  policy: HostKeyPolicy;
}

const expand = (p: string, home: string) => (p.startsWith('~/') ? join(home, p.slice(2)) : p);

export interface SshDefaults {
  configFile?: string;
  /** --host-key-policy; otherwise StrictHostKeyChecking from the config, else strict */
  policy?: HostKeyPolicy;
  /** our own known_hosts (accept-new writes here) */
  stateKnownHosts: string;
  home?: string;
}

const defaultIdentities = (home: string) => ['id_ed25519', 'id_ecdsa', 'id_rsa', 'id_dsa'].map((n) => join(home, '.ssh', n));

/**
 * Every identity file the configuration could give some host, before any host is known: each
 * IdentityFile in any Host or Match block, and the default keys that exist. resolveSshTarget's
 * identityFiles for any node are among them.
 */
export function anyHostIdentityFiles(d: Pick<SshDefaults, 'configFile' | 'home'>): string[] {
  const home = d.home ?? homedir();
  const file = d.configFile ?? join(home, '.ssh', 'config');
  const found = new Set<string>();
  const walk = (lines: SSHConfig) => {
    for (const l of lines) {
      if (l.type !== SSHConfig.DIRECTIVE) continue;
      if (l.param.toLowerCase() === 'identityfile') {
        const values = typeof l.value === 'string' ? l.value.split(/\s+/) : l.value.map((v) => v.val);
        for (const v of values) if (v) found.add(expand(v, home));
      }
      if ('config' in l) walk(l.config);
    }
  };
  if (existsSync(file)) walk(SSHConfig.parse(readLocalTextSync(file, KINDS.sshConfig)));
  for (const f of defaultIdentities(home)) if (existsSync(f)) found.add(f);
  return [...found];
}

/** Resolve Host aliases, HostName, Port, User, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking. */
export function resolveSshTarget(node: string, d: SshDefaults): SshTarget {
  const home = d.home ?? homedir();
  const file = d.configFile ?? join(home, '.ssh', 'config');
  let computed: Record<string, string | string[]> = {};
  if (existsSync(file))
    computed = SSHConfig.parse(readLocalTextSync(file, KINDS.sshConfig)).compute(node, { ignoreCase: true, matchExec: false } as never);
  const one = (k: string) => {
    const v = computed[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const many = (k: string) => {
    const v = computed[k];
    return (Array.isArray(v) ? v : v ? [v] : []).flatMap((x) => x.split(/\s+/)).filter(Boolean);
  };
  const identity = many('identityfile').map((p) => expand(p, home));
  const defaults = defaultIdentities(home);
  const known = many('userknownhostsfile').map((p) => expand(p, home));
  const strict = one('stricthostkeychecking')?.toLowerCase();
  // "no" would turn checking off silently: it is read as accept-new, which still refuses changed keys.
  const fromConfig: HostKeyPolicy | undefined =
    strict === 'accept-new' || strict === 'no' || strict === 'off' ? 'accept-new' : strict ? 'strict' : undefined;
  return {
    node,
    host: one('hostname') ?? node,
    port: Number(one('port') ?? 22),
    user: one('user') ?? 'root',
    identityFiles: identity.length ? identity : defaults.filter((f) => existsSync(f)),
    knownHostsFiles: [...(known.length ? known : [join(home, '.ssh', 'known_hosts')]), d.stateKnownHosts],
    policy: d.policy ?? fromConfig ?? 'strict',
  };
}
