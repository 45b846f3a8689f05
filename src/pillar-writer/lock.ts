import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { fileError, UserError } from '../core/errors.js';
import { isAlive } from './atomic-write.js';

/** Who holds a lock: written inside it, shown to whoever waits. */
export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export interface LockOptions {
  /** how long to wait for a live holder */
  waitMs?: number;
  /** a lock not refreshed for this long belongs to a holder that died on another host */
  staleMs?: number;
  /** how often the holder refreshes it */
  refreshMs?: number;
}

const FUTURE_SLACK_MS = 5_000;

/**
 * Run `fn` holding `<path>.lock`, a directory (mkdir is atomic on every local filesystem) with the
 * holder inside. The holder refreshes its mtime. A waiter takes over at once a lock whose holder
 * died on this host, takes over a lock not refreshed for `staleMs`, and otherwise waits, then says
 * who holds it and since when. A lock with an mtime in the future, or a `.lock` that is a plain
 * file, is reported at once: waiting would not change either.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = `${path}.lock`;
  const waitMs = opts.waitMs ?? 30_000;
  const staleMs = opts.staleMs ?? 20_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(err, lock, 'create the lock');
    }
    const verdict = await inspect(lock, staleMs);
    if (verdict.kind === 'gone') continue;
    if (verdict.kind === 'take') {
      await breakLock(lock);
      continue;
    }
    if (verdict.kind === 'refuse') throw verdict.error;
    if (Date.now() - started >= waitMs) {
      const waited = Math.round((Date.now() - started) / 1000);
      throw new UserError(`${path} is locked by ${describeOwner(verdict.owner)}; waited ${waited} s`, {
        where: { file: path },
        hint: 'wait for that run to finish, then run the command again',
      });
    }
    await new Promise((r) => setTimeout(r, Math.min(50 + attempt * 10, 250)));
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), command: commandLine(), since: new Date().toISOString() };
  await writeFile(`${lock}/owner.json`, JSON.stringify(owner) + '\n', { mode: 0o600 }).catch(() => undefined);
  const refresh = setInterval(
    () => {
      const now = new Date();
      void utimes(lock, now, now).catch(() => undefined);
    },
    opts.refreshMs ?? Math.max(250, Math.floor(staleMs / 4)),
  );
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    await rm(lock, { recursive: true, force: true }).catch(() => undefined);
  }
}

type Verdict = { kind: 'gone' } | { kind: 'take' } | { kind: 'wait'; owner: LockOwner | undefined } | { kind: 'refuse'; error: UserError };

async function inspect(lock: string, staleMs: number): Promise<Verdict> {
  const st = await lstat(lock).catch((err: NodeJS.ErrnoException) =>
    err.code === 'ENOENT' ? undefined : Promise.reject(fileError(err, lock, 'inspect the lock')),
  );
  if (!st) return { kind: 'gone' };
  if (!st.isDirectory()) {
    return {
      kind: 'refuse',
      error: new UserError(`${lock} is ${st.isSymbolicLink() ? 'a symbolic link' : 'a regular file'}, not a lock lxc-wizard made`, {
        where: { file: lock },
        hint: `if no other program uses it, remove it (rm ${lock}) and run the command again`,
      }),
    };
  }
  const owner = await readOwner(lock);
  const age = Date.now() - st.mtimeMs;
  if (age < -FUTURE_SLACK_MS) {
    return {
      kind: 'refuse',
      error: new UserError(
        `${lock} was last refreshed ${Math.round(-age / 1000)} s in the future (held by ${describeOwner(owner)}); the clocks disagree`,
        {
          where: { file: lock },
          hint: `if that run is over, remove the lock (rm -r ${lock}); check the clock of the host that made it`,
        },
      ),
    };
  }
  if (owner && owner.host === hostname()) {
    if (!isAlive(owner.pid)) return { kind: 'take' };
    if (age > staleMs) {
      return {
        kind: 'refuse',
        error: new UserError(
          `${lock} is held by ${describeOwner(owner)}, which is alive but stopped refreshing it ${Math.round(age / 1000)} s ago`,
          {
            where: { file: lock },
            hint: `that process may be stopped (kill -CONT ${owner.pid}) or hung; if it is, end it, then run the command again`,
          },
        ),
      };
    }
    return { kind: 'wait', owner };
  }
  // Another host, or a holder that died before it wrote its name: only age tells.
  if (age > staleMs) return { kind: 'take' };
  return { kind: 'wait', owner };
}

async function readOwner(lock: string): Promise<LockOwner | undefined> {
  try {
    const o = JSON.parse(await readFile(`${lock}/owner.json`, 'utf8')) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string')
      return { pid: o.pid, host: o.host, command: String(o.command ?? ''), since: String(o.since ?? '') };
  } catch {
    // being written, or an old lock without its owner
  }
  return undefined;
}

/** Take a dead holder's lock: renamed away first, so two waiters never both remove it and both take it. */
async function breakLock(lock: string): Promise<void> {
  const aside = `${lock}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lock, aside);
  } catch {
    return; // another waiter took it first
  }
  await rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

function describeOwner(o: LockOwner | undefined): string {
  if (!o) return 'another lxc-wizard (it did not say who)';
  return `pid ${o.pid} on ${o.host}${o.command ? ` (\`${o.command}\`)` : ''}${o.since ? ` since ${o.since}` : ''}`;
}

function commandLine(): string {
  return ['lxc-wizard', ...process.argv.slice(2)].join(' ').slice(0, 200);
}
