import { randomBytes } from 'node:crypto';
import { chown, copyFile, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { sha256 } from './read.js';

export interface AtomicWriteOptions {
  /** refuse when the file on disk no longer has this content (someone else wrote it) */
  expectedSha256?: string;
  /** keep the previous content as <file>.bak */
  backup?: boolean;
  /** mode for a new file; an existing file keeps its own */
  mode?: number;
}

/**
 * Replace a file so that a reader (or a crash, or SIGKILL) only ever sees the old or the new
 * content: temp file in the same directory, fsync, rename over, fsync the directory.
 */
export async function writeFileAtomic(path: string, content: string, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  let mode = opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await stat(path);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (opts.expectedSha256 !== undefined) throw changedError(path, 'it was deleted');
  }
  if (opts.expectedSha256 !== undefined && owner) {
    const now = await readFile(path, 'utf8');
    if (sha256(now) !== opts.expectedSha256) throw changedError(path, 'someone else wrote it');
  }
  await removeDeadTemps(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.chmod(mode); // umask must not narrow or widen the original mode
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    if (owner && typeof process.getuid === 'function' && process.getuid() === 0)
      await chown(tmp, owner.uid, owner.gid).catch(() => undefined);
    if (opts.backup && owner) await copyFile(path, `${path}.bak`);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Temp files of writers that were killed (SIGKILL, power loss) are removed by the next writer. */
async function removeDeadTemps(dir: string, base: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const prefix = `.${base}.`;
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(n.slice(prefix.length));
    if (m && !isAlive(Number(m[1]))) await unlink(join(dir, n)).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r').catch(() => undefined);
  if (!dh) return;
  try {
    await dh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await dh.close();
  }
}

function changedError(path: string, why: string): UserError {
  return new UserError(`${path} changed since it was read (${why}); nothing was written`, {
    where: { file: path },
    hint: 'run the command again to start from the current content',
  });
}
