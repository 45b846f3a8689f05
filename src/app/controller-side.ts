import { spawn } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { bootScriptPath, MODES, type Mode } from '../core/defaults.js';
import { fileError, UserError } from '../core/errors.js';
import { childPath } from '../core/paths.js';
import type { ControllerSide } from '../engine/controller-side.js';
import { writeFileAtomic } from '../pillar-writer/atomic-write.js';

export interface ControllerOptions {
  /** --master-pki: one pki directory for both modes (tests, unusual layouts) */
  masterPki?: string;
  /** the state store's directory: minion private keys wait there (0600) until delivered */
  storeDir: string;
  env: NodeJS.ProcessEnv;
}

function onPath(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const d of (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = join(d, cmd);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** What salt-cloud makes: an RSA key, the private half PKCS#1, the public half SPKI, both PEM. */
function makeMinionKey(): Promise<KeyPair> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
}

/** This host as the controller: the salt master's pki for minion keys, its salt commands, its makina-states checkout. */
export function controllerSide(o: ControllerOptions): ControllerSide {
  const pkiDir = (mode: Mode) => o.masterPki ?? MODES[mode].pki;
  const accepted = (vm: string, mode: Mode) => childPath(join(pkiDir(mode), 'minions'), vm);
  const keyDir = (vm: string) => childPath(join(o.storeDir, 'lxc-wizard', 'minion-keys'), vm);
  /** pairs made ahead (prepareMinionKey), each taken once */
  const ahead = new Map<string, Promise<KeyPair>>();
  const pkiProblem = (mode: Mode) => {
    const minions = join(pkiDir(mode), 'minions');
    return existsSync(minions)
      ? undefined
      : {
          message: `there is no salt master pki at ${pkiDir(mode)} on this controller (no ${minions})`,
          hint: `install and start the ${mode === 'mastersalt' ? 'mastersalt' : 'salt'} master, pass --master-pki DIR, or provision with --no-salt`,
        };
  };
  return {
    pkiDir,
    pkiProblem,
    async keyAccepted(vm, mode) {
      return existsSync(accepted(vm, mode));
    },
    async minionKeys(vm, mode, dryRun) {
      const dir = keyDir(vm);
      const [pem, pub, acc] = await Promise.all([
        readFile(join(dir, 'minion.pem'), 'utf8').catch(() => undefined),
        readFile(join(dir, 'minion.pub'), 'utf8').catch(() => undefined),
        readFile(accepted(vm, mode), 'utf8').catch(() => undefined),
      ]);
      if (pem && pub && acc === pub) return { pem, pub };
      if (dryRun) return { pem: '(a new minion key)', pub: '(its public half)' };
      const problem = pkiProblem(mode);
      if (problem) throw new UserError(problem.message, { where: { file: join(pkiDir(mode), 'minions') }, hint: problem.hint });
      const made = ahead.get(vm) ?? makeMinionKey();
      ahead.delete(vm);
      const pair = await made;
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
      } catch (err) {
        throw fileError(err, dir, 'create the minion key directory');
      }
      await writeFileAtomic(join(dir, 'minion.pem'), pair.privateKey, { forceMode: 0o600 });
      await writeFileAtomic(join(dir, 'minion.pub'), pair.publicKey, { forceMode: 0o600 });
      await writeFileAtomic(accepted(vm, mode), pair.publicKey, { forceMode: 0o644 });
      return { pem: pair.privateKey, pub: pair.publicKey };
    },
    prepareMinionKey(vm) {
      if (ahead.has(vm)) return;
      const made = makeMinionKey();
      made.catch(() => undefined); // minionKeys reports it, if it is ever asked for
      ahead.set(vm, made);
    },
    async keysDelivered(vm) {
      await rm(keyDir(vm), { recursive: true, force: true });
    },
    bootstrapScript(mode) {
      const p = bootScriptPath(mode);
      return existsSync(p) ? p : undefined;
    },
    async saltCommand(mode) {
      return onPath(mode === 'mastersalt' ? 'mastersalt' : 'salt', o.env);
    },
    async ping(vm, mode, signal) {
      const cmd = onPath(mode === 'mastersalt' ? 'mastersalt' : 'salt', o.env)!;
      return new Promise((resolve) => {
        const child = spawn(cmd, [vm, 'test.ping', '--timeout=60'], { stdio: ['ignore', 'pipe', 'pipe'], signal });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('error', (e) => resolve({ ok: false, output: e.message }));
        child.on('close', (code) => resolve({ ok: code === 0 && /\bTrue\b/.test(out), output: out }));
      });
    },
  };
}

/** The accepted key of a VM on every master pki of this controller: destroy removes them. */
export function masterPkiDirs(masterPki?: string): string[] {
  return masterPki ? [masterPki] : Object.values(MODES).map((m) => m.pki);
}
