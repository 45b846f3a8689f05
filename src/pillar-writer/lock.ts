import lockfile from 'proper-lockfile';
import { UserError } from '../core/errors.js';

/**
 * Run `fn` holding `<path>.lock` (a directory, so it works on any local filesystem and across
 * processes). A holder killed with SIGKILL leaves a lock that goes stale after `staleMs`.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: { waitMs?: number; staleMs?: number } = {}): Promise<T> {
  const waitMs = opts.waitMs ?? 30_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: opts.staleMs ?? 10_000,
      update: 2_000,
      retries: { retries: Math.ceil(waitMs / 100), factor: 1, minTimeout: 50, maxTimeout: 100, randomize: true },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new UserError(`${path} is locked by another lxc-wizard (waited ${Math.round(waitMs / 1000)} s)`, {
        where: { file: path },
        hint: `wait for the other run to finish; a lock left by a killed process (${path}.lock) expires by itself`,
      });
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
