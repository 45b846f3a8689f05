import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isEncryptedKey } from '../engine/ssh-keys.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExitCode, UserError } from '../core/errors.js';
import type { HostKeyPolicy } from '../engine/known-hosts.js';
import { LocalTransport } from '../engine/local-transport.js';
import { resolveSshTarget } from '../engine/ssh-options.js';
import { SshTransport } from '../engine/ssh-transport.js';
import type { Transport } from '../engine/transport.js';
import type { Ledger } from '../engine/run.js';
import type { StateStore } from '../pillar-writer/state-store.js';
import type { CommandInput } from './spec.js';

/** XDG state: logs and our own known_hosts live here (not beside the pillar: they are per operator). */
export function stateHome(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'lxc-wizard');
}

export function hostKeyPolicy(input: CommandInput): HostKeyPolicy | undefined {
  const raw = input.values['host-key-policy'];
  if (raw === undefined) return undefined;
  if (raw !== 'strict' && raw !== 'accept-new' && raw !== 'off') {
    throw new UserError(`--host-key-policy must be strict, accept-new or off, not '${String(raw)}'`, {
      where: { field: '--host-key-policy' },
      hint: 'strict (default) refuses unknown keys; accept-new trusts a key on first use',
      exitCode: ExitCode.USAGE,
    });
  }
  if (raw === 'off')
    input.out.warn('--host-key-policy off: host keys are NOT verified; anyone on the path can impersonate the compute nodes');
  return raw;
}

function sshDefaults(input: CommandInput) {
  const env = input.io.env;
  const configFile = input.values['ssh-config'] ? resolve(input.io.cwd, String(input.values['ssh-config'])) : undefined;
  return { configFile, stateKnownHosts: join(stateHome(env), 'known_hosts'), home: env.HOME };
}

/** localhost runs child processes; every other node is reached over SSH as ~/.ssh/config says. */
export function transportFactory(input: CommandInput, passphrases?: ReadonlyMap<string, string>): (node: string) => Transport {
  const env = input.io.env;
  const policy = hostKeyPolicy(input);
  const d = sshDefaults(input);
  return (node) => {
    if (node === 'localhost') return new LocalTransport(node);
    const target = resolveSshTarget(node, { ...d, policy });
    return new SshTransport(target, { agent: env.SSH_AUTH_SOCK, passphrases, log: (m) => input.out.info(m) });
  };
}

/**
 * The encrypted identity files these nodes would use when no ssh-agent runs: their passphrases
 * must be asked before Ink mounts (two readers of the keyboard never work together).
 */
export function encryptedKeys(input: CommandInput, nodes: string[]): string[] {
  if (input.io.env.SSH_AUTH_SOCK) return [];
  const d = sshDefaults(input);
  const files = new Set(nodes.filter((n) => n !== 'localhost').flatMap((n) => resolveSshTarget(n, d).identityFiles));
  return [...files].filter((f) => {
    try {
      return isEncryptedKey(readFileSync(f, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** --ssh-pubkey files, else the operator's ~/.ssh/*.pub. */
export async function publicKeys(input: CommandInput): Promise<string[]> {
  const given = input.values['ssh-pubkey'] as string[] | undefined;
  const home = input.io.env.HOME || homedir();
  const files = given?.length
    ? given.map((f) => resolve(input.io.cwd, f))
    : (await readdir(join(home, '.ssh')).catch(() => [] as string[])).filter((f) => f.endsWith('.pub')).map((f) => join(home, '.ssh', f));
  const keys: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read public key ${f}: ${(err as Error).message}`, {
        where: { field: '--ssh-pubkey' },
        hint: 'give a readable .pub file',
        exitCode: ExitCode.USAGE,
      });
    }
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (!line || line.startsWith('#')) continue;
      if (!/^(ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$/.test(line))
        throw new UserError(`${f} does not hold an OpenSSH public key`, {
          where: { field: '--ssh-pubkey' },
          hint: 'pass the .pub file, not the private key',
          exitCode: ExitCode.USAGE,
        });
      keys.push(line);
    }
  }
  return keys;
}

export function storeLedger(store: StateStore): Ledger {
  return {
    async get(node, vm) {
      return ((await store.ledger.read(node))[vm] ?? {}) as Awaited<ReturnType<Ledger['get']>>;
    },
    async record(node, vm, step, state) {
      await store.ledger.update(node, (l) => ({ ...l, [vm]: { ...l[vm], [step]: { state, at: new Date().toISOString() } } }));
    },
  };
}
