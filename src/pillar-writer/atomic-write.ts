import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chown, lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileError, UserError } from '../core/errors.js';
import { sha256 } from './read.js';
import { decodeUtf8 } from './safe-file.js';

export interface AtomicWriteOptions {
  /** refuse when the file on disk no longer has this content (someone else wrote it) */
  expectedSha256?: string;
  /** keep the previous content as <file>.bak (replaced atomically, never through a link) */
  backup?: boolean;
  /** mode for a new file; an existing file keeps its own unless `forceMode` */
  mode?: number;
  /** always this mode, even over an existing file's (the state store: 0600) */
  forceMode?: number;
  /** copy extended attributes and ACLs from the file replaced (pillars: an operator set them) */
  keepAttributes?: boolean;
}

/** A write made ready: every check passed and the new content is on disk, synced, beside the file. */
export interface PreparedWrite {
  /** rename it over the file (and the backup over FILE.bak); the content is checked once more first */
  commit(): Promise<void>;
  /** remove what prepare left; the file was never touched */
  abort(): Promise<void>;
}

/**
 * Replace a file so that a reader (or a crash, or SIGKILL) only ever sees the old or the new
 * content: temp file in the same directory, fsync, rename over, fsync the directory. Only a
 * regular file with one link is replaced (a rename would split a hard link, or replace a device).
 */
export async function writeFileAtomic(path: string, content: string, opts: AtomicWriteOptions = {}): Promise<void> {
  const w = await prepareAtomicWrite(path, content, opts);
  try {
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

/**
 * Everything that can fail before the file is replaced: checks, the temp file (ENOSPC, EACCES),
 * attributes, the backup's temp file. A caller with more to write (the store) does it between
 * prepare and commit, so a failure leaves nothing changed anywhere.
 */
export async function prepareAtomicWrite(path: string, content: string, opts: AtomicWriteOptions = {}): Promise<PreparedWrite> {
  const dir = dirname(path);
  let mode = opts.forceMode ?? opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | undefined;
  let existing = false;
  try {
    const st = await lstat(path);
    if (!st.isFile()) {
      throw new UserError(
        `${path} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; lxc-wizard replaces regular files only`,
        {
          where: { file: path },
          hint: st.isSymbolicLink() ? 'give the path of the link target' : 'give the path of a regular file',
        },
      );
    }
    if (st.nlink > 1) {
      throw new UserError(
        `${path} has ${st.nlink} hard links; replacing it would split them (the other names would keep the old content)`,
        {
          where: { file: path },
          hint: 'make it a single file first (cp FILE FILE.new && mv FILE.new FILE), or edit the name the others point to by hand',
        },
      );
    }
    existing = true;
    if (opts.forceMode === undefined) mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(err, path, 'inspect');
    if (opts.expectedSha256 !== undefined) throw changedError(path, 'it was deleted');
  }
  const checkUnchanged = async () => {
    if (opts.expectedSha256 !== undefined && existing && sha256(await readNoFollow(path)) !== opts.expectedSha256)
      throw changedError(path, 'someone else wrote it');
  };
  await checkUnchanged();
  await removeDeadTemps(dir, basename(path));
  const temps: string[] = [];
  const abort = async () => void (await Promise.all(temps.map((t) => unlink(t).catch(() => undefined))));
  try {
    const tmp = await writeTemp(dir, basename(path), content, mode);
    temps.push(tmp);
    if (owner && process.getuid?.() === 0) await chown(tmp, owner.uid, owner.gid).catch(() => undefined);
    if (existing && opts.keepAttributes) await copyAttributes(path, tmp);
    let bakTmp: string | undefined;
    if (opts.backup && existing) {
      bakTmp = await backupTemp(path, mode);
      temps.push(bakTmp);
    }
    return {
      abort,
      commit: async () => {
        await checkUnchanged();
        try {
          if (bakTmp) await rename(bakTmp, `${path}.bak`);
          await rename(tmp, path);
        } catch (err) {
          throw fileError(err, path, 'write');
        }
        await syncDir(dir);
      },
    };
  } catch (err) {
    await abort();
    throw fileError(err, path, 'write');
  }
}

async function readNoFollow(path: string): Promise<string> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return decodeUtf8(await fh.readFile(), path, 'file');
  } catch (err) {
    // not UTF-8 any more: certainly not the content that was read
    if (err instanceof UserError) return '\u0000';
    throw err;
  } finally {
    await fh.close();
  }
}

/** A new temp file beside `base`, created exclusively (never through a planted link), synced. */
async function writeTemp(dir: string, base: string, content: string | Buffer, mode: number): Promise<string> {
  const tmp = join(dir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (err) {
    throw fileError(err, join(dir, base), 'write');
  }
  try {
    await fh.writeFile(content);
    await fh.chmod(mode); // umask must not narrow or widen the mode
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw fileError(err, join(dir, base), 'write');
  }
  await fh.close();
  return tmp;
}

/**
 * FILE.bak's new content, in a temp file renamed over FILE.bak at commit: a FILE.bak planted as a
 * link is replaced, never followed.
 */
async function backupTemp(path: string, mode: number): Promise<string> {
  const bak = `${path}.bak`;
  const st = await lstat(bak).catch(() => undefined);
  if (st?.isDirectory())
    throw new UserError(`${bak} is a directory; the backup cannot be written`, { where: { file: bak }, hint: `move ${bak} away` });
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  let old: Buffer;
  try {
    old = await fh.readFile();
  } finally {
    await fh.close();
  }
  return writeTemp(dirname(path), basename(bak), old, mode);
}

/** Extended attributes and ACLs (an ACL is an xattr; cp keeps both with mode and xattr). */
function copyAttributes(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('cp', ['--attributes-only', '--preserve=mode,xattr', '--no-dereference', from, to], (err, _o, stderr) => {
      // No cp (not GNU) or no xattr support: the content is what matters; say so only if it broke.
      if (err && (err as NodeJS.ErrnoException).code !== 'ENOENT' && !/not supported/i.test(stderr)) {
        reject(new UserError(`cannot keep the extended attributes of ${from}: ${stderr.trim() || err.message}`, { where: { file: from } }));
      } else resolve();
    });
  });
}

/** Temp files of writers that were killed (SIGKILL, power loss) are removed by the next writer. */
async function removeDeadTemps(dir: string, base: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const prefix of [`.${base}.`, `.${base}.bak.`]) {
    for (const n of names) {
      if (!n.startsWith(prefix)) continue;
      const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(n.slice(prefix.length));
      if (m && !isAlive(Number(m[1]))) await unlink(join(dir, n)).catch(() => undefined);
    }
  }
}

export function isAlive(pid: number): boolean {
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
  return new UserError(`${path} changed since it was read (${why}); it was not written`, {
    where: { file: path },
    hint: 'run the command again to start from the current content',
  });
}
