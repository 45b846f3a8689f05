import { existsSync } from 'node:fs';
import { KINDS, readLocalFileSync, readLocalTextSync } from '../engine/local-files.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, UserError } from '../core/errors.js';
import type { WayInContext } from '../core/ways-in.js';
import type { HostKeyPolicy } from '../engine/known-hosts.js';

export type { HostKeyPolicy };
import { LocalTransport } from '../engine/local-transport.js';
import { anyHostIdentityFiles, resolveSshTarget, type SshDefaults } from '../engine/ssh-options.js';
import { SshTransport } from '../engine/ssh-transport.js';
import type { Transport } from '../engine/transport.js';
import { isEncryptedKey } from './ssh-keys.js';

/** How compute nodes are reached: decided once from flags and environment by the front end. */
export interface ReachOptions {
  /** --ssh-config; default ~/.ssh/config */
  sshConfig?: string;
  /** --host-key-policy; default: StrictHostKeyChecking from the config, else strict */
  hostKeyPolicy?: HostKeyPolicy;
  home: string;
  /** XDG state directory of lxc-wizard: logs, known_hosts, ui.json */
  stateHome: string;
  /** SSH_AUTH_SOCK */
  agent?: string;
  /** LXC_WIZARD_INSTANCE: the name this installation's node-side state carries (default lxc_wizard) */
  instance?: string;
  log?: (message: string) => void;
}

/** XDG state: logs and our own known_hosts live here (not beside the pillar: they are per operator). */
export function stateHomeOf(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'lxc-wizard');
}

function sshDefaults(r: ReachOptions): SshDefaults {
  return { configFile: r.sshConfig, stateKnownHosts: join(r.stateHome, 'known_hosts'), home: r.home, policy: r.hostKeyPolicy };
}

/** localhost runs child processes; every other node is reached over SSH as ~/.ssh/config says. */
export function transportFactory(
  r: ReachOptions,
  passphrases?: ReadonlyMap<string, string>,
  passwords?: ReadonlyMap<string, string>,
): (node: string) => Transport {
  return (node) => {
    if (node === 'localhost') return new LocalTransport(node);
    const password = passwords?.get(node);
    return new SshTransport(resolveSshTarget(node, sshDefaults(r)), {
      agent: r.agent,
      passphrases,
      log: r.log,
      ...(password ? { password } : {}),
    });
  };
}

/**
 * The encrypted identity files these nodes would use when no ssh-agent runs: their passphrases
 * must be asked before Ink mounts (two readers of the keyboard never work together).
 */
export function encryptedKeys(r: ReachOptions, nodes: string[]): string[] {
  if (r.agent) return [];
  return encrypted(nodes.filter((n) => n !== 'localhost').flatMap((n) => resolveSshTarget(n, sshDefaults(r)).identityFiles));
}

/**
 * Whether encryptedKeys could ask for anything, whatever the pillar's nodes: when not, the wizard
 * need not read the pillar before its first frame to know whom to ask.
 */
export function mayAskPassphrases(r: ReachOptions): boolean {
  return !r.agent && encrypted(anyHostIdentityFiles(sshDefaults(r))).length > 0;
}

function encrypted(list: string[]): string[] {
  return [...new Set(list)].filter((f) => {
    try {
      return isEncryptedKey(readLocalTextSync(f, KINDS.privateKey));
    } catch {
      return false;
    }
  });
}

/** The public keys for root in the VMs: the given files, else the operator's ~/.ssh/*.pub. */
export async function publicKeys(files: string[] | undefined, home: string): Promise<string[]> {
  const list = files?.length
    ? files
    : (await readdir(join(home, '.ssh')).catch(() => [] as string[])).filter((f) => f.endsWith('.pub')).map((f) => join(home, '.ssh', f));
  const keys: string[] = [];
  for (const f of list) {
    let text: string;
    try {
      text = readLocalTextSync(f, KINDS.publicKey);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`cannot read public key ${f}: ${(err as Error).message}`, {
        where: { field: '--ssh-pubkey' },
        hint: 'give a readable .pub file',
        exitCode: ExitCode.USAGE,
      });
    }
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue;
      if (!/^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$/.test(line)) {
        throw new UserError(`${f} does not hold an OpenSSH public key`, {
          where: { field: '--ssh-pubkey' },
          hint: 'pass the .pub file, not the private key',
          exitCode: ExitCode.USAGE,
        });
      }
      keys.push(line);
    }
  }
  return keys;
}

/**
 * What the printed ways in must carry to work as printed: the user lxc-wizard logs in to the node
 * as (its ssh config's), the config file when one was given, and the private key whose public half
 * went into the VM (when the public keys were named and the private one is beside it).
 */
export function wayInContext(r: ReachOptions, node: string, o: { pubkeyFiles?: string[]; forwarded: boolean }): WayInContext {
  const nodeUser = node === 'localhost' ? 'root' : resolveSshTarget(node, sshDefaults(r)).user;
  const key = o.pubkeyFiles?.map((f) => f.replace(/\.pub$/, '')).find((f) => f !== '' && existsSync(f) && !f.endsWith('.pub'));
  return { nodeUser, forwarded: o.forwarded, ...(r.sshConfig ? { sshConfig: r.sshConfig } : {}), ...(key ? { key } : {}) };
}

/** --ssh-config is checked when given (a FIFO or a device refused at once), not when a node first needs it. */
export function checkSshConfig(path: string): void {
  readLocalFileSync(path, KINDS.sshConfig);
}
