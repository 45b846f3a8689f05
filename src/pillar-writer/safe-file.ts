import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { ExitCode, fileError, UserError } from '../core/errors.js';
import { fileKind } from '../core/file-kind.js';

/** Pillars are text files of kilobytes; anything this large is not one (or is /dev/zero). */
export const MAX_PILLAR_BYTES = 64 * 1024 * 1024;

export interface FileFacts {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
}

export interface TextFile {
  /** the real path: every link resolved */
  path: string;
  text: string;
  facts: FileFacts;
}

const KIND = fileKind;

/**
 * The real path behind `path` (symbolic links resolved), so that the file edited, its lock and the
 * store beside it are those of the target, never of the link. A missing file keeps its path.
 */
export async function realPathOf(path: string, exitCode: ExitCode = ExitCode.USAGE): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw fileError(err, path, 'resolve', { exitCode });
  }
}

/**
 * Read a regular text file safely: the descriptor is opened without following a link and without
 * blocking (a FIFO would hang), and checked (regular file, size limit) before a byte is read. The
 * bytes must be UTF-8: a file that is not is refused, never rewritten with replacement characters.
 */
export async function readTextFile(
  path: string,
  o: { what: string; field?: string; maxBytes?: number; exitCode?: ExitCode },
): Promise<TextFile> {
  const exitCode = o.exitCode ?? ExitCode.USAGE;
  const where = { file: path, ...(o.field ? { field: o.field } : {}) };
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${o.what} ${path} does not exist`, { where, hint: 'check the path', exitCode });
    if (code === 'ELOOP')
      throw new UserError(`${o.what} ${path} is a symbolic link that changed while it was read`, {
        where,
        hint: 'run the command again',
        exitCode,
      });
    throw fileError(err, path, `read ${o.what}`, { exitCode, ...(o.field ? { field: o.field } : {}) });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile())
      throw new UserError(`${o.what} ${path} is ${KIND(st)}, not a regular file`, {
        where,
        hint: `give the path of a ${o.what}`,
        exitCode,
      });
    const max = o.maxBytes ?? MAX_PILLAR_BYTES;
    if (st.size > max) {
      throw new UserError(`${o.what} ${path} is ${st.size} bytes, more than the ${max} a ${o.what} may hold`, {
        where,
        hint: `check that ${path} is the right file`,
        exitCode,
      });
    }
    const bytes = await fh.readFile();
    if (bytes.length > max)
      throw new UserError(`${o.what} ${path} grew past ${max} bytes while it was read`, {
        where,
        hint: `check that ${path} is the right file`,
        exitCode,
      });
    const text = decodeUtf8(bytes, path, o.what, exitCode);
    return { path, text, facts: { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, nlink: st.nlink, size: st.size } };
  } finally {
    await fh.close();
  }
}

// ignoreBOM: a byte-order mark stays in the text, so that writing the text back keeps every byte.
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array, path: string, what: string, exitCode: ExitCode = ExitCode.USAGE): string {
  try {
    return STRICT.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1);
    throw new UserError(`${what} ${path} is not valid UTF-8 (byte ${at}, line ${line})`, {
      where: { file: path, line },
      hint: 'convert it to UTF-8 (iconv -f LATIN1 -t UTF-8, for instance); lxc-wizard never rewrites bytes it cannot read',
      exitCode,
    });
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    const cp = [...b.subarray(i + 1, i + 1 + n)];
    if (cp.length < n || cp.some((x) => (x & 0xc0) !== 0x80)) return i;
    const second = b[i + 1] ?? 0;
    // overlong 3/4-byte forms, surrogates, and code points above U+10FFFF
    if ((c === 0xe0 && second < 0xa0) || (c === 0xed && second > 0x9f) || (c === 0xf0 && second < 0x90) || (c === 0xf4 && second > 0x8f))
      return i;
    i += n + 1;
  }
  return b.length;
}

/**
 * Where the tool may write `rel` under `root` (a directory an operator named: `--out`, the log's
 * folder): `root` is taken as it resolves, then no part below it may be a link (a link planted
 * there would send the write elsewhere, as root), and `root`, every directory below it that
 * exists and the file, if it exists, must belong to the effective user and be writable by nobody
 * else (another user could swap them between this check and the write). Refused with a hint,
 * before anything is written. Returns the path to write.
 */
export async function checkedOutPath(root: string, rel: string, o: { what: string; field?: string }): Promise<string> {
  const base = await realPathOf(root, ExitCode.FAILURE);
  const parts = rel.split('/').filter(Boolean);
  const euid = process.geteuid?.();
  const refuse = (path: string, why: string, hint: string) =>
    new UserError(`${o.what} ${path} ${why}; nothing was written`, {
      where: { file: path, ...(o.field ? { field: o.field } : {}) },
      hint,
      exitCode: ExitCode.FAILURE,
    });
  const check = async (path: string, kind: 'directory' | 'file'): Promise<boolean> => {
    let st;
    try {
      st = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fileError(err, path, 'inspect', { exitCode: ExitCode.FAILURE });
    }
    if (st.isSymbolicLink())
      throw refuse(path, 'is a symbolic link', `remove the link (lxc-wizard never writes through one), or give --out the real directory`);
    if (kind === 'directory' ? !st.isDirectory() : !st.isFile())
      throw refuse(path, `is not a ${kind === 'file' ? 'regular file' : 'directory'}`, 'remove it, or give another --out');
    if (euid !== undefined && st.uid !== euid)
      throw refuse(
        path,
        `belongs to uid ${st.uid}, not to you (uid ${euid})`,
        `check who made it; if it is trusted, chown ${euid} ${path}`,
      );
    // a sticky directory (/tmp) lets others add names but not replace or remove ours: what we
    // write there is checked as a file (its own owner, no link), so it may hold our files
    const sticky = kind === 'directory' && (st.mode & 0o1000) !== 0;
    if (st.mode & 0o022 && !sticky)
      throw refuse(
        path,
        `is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`,
        `chmod go-w ${path}`,
      );
    return true;
  };
  await check(base, 'directory');
  let path = base;
  for (const [i, part] of parts.entries()) {
    path = `${path}/${part}`;
    if (!(await check(path, i === parts.length - 1 ? 'file' : 'directory'))) {
      // nothing further exists below a missing part: the caller makes the directories, 0755, its own
      break;
    }
  }
  return `${base}/${parts.join('/')}`;
}
