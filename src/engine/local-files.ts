import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fileKind } from '../core/file-kind.js';
import { ExitCode, UserError } from '../core/errors.js';

/**
 * Every file lxc-wizard reads because an operator named it (--ssh-pubkey, --bootsalt-script,
 * --ssh-config, the keys a config names), through one checked open: opened without blocking (a
 * FIFO would hang the tool past SIGTERM in a synchronous read), a regular file, and no bigger
 * than what a file of its kind holds (/dev/urandom would take gigabytes). Links are followed: an
 * operator's ~/.ssh/config is often one; nothing is ever written through this.
 */
export interface LocalFileKind {
  /** what the file is, in messages: "public key", "bootstrap script" */
  what: string;
  /** the flag it came from, when one did */
  field?: string;
  maxBytes: number;
}

export const KINDS = {
  publicKey: { what: 'public key', field: '--ssh-pubkey', maxBytes: 64 * 1024 },
  privateKey: { what: 'ssh key', maxBytes: 256 * 1024 },
  sshConfig: { what: 'ssh config', field: '--ssh-config', maxBytes: 1024 * 1024 },
  bootstrap: { what: 'bootstrap script', field: '--bootsalt-script', maxBytes: 8 * 1024 * 1024 },
} satisfies Record<string, LocalFileKind>;

/** The bytes of a regular file an operator named, checked before a byte is read. */
export function readLocalFileSync(path: string, k: LocalFileKind): Buffer {
  const where = { file: path, ...(k.field ? { field: k.field } : {}) };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${k.what} ${path}: ${code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`, {
      where,
      hint: `give the path of a readable ${k.what}`,
      exitCode: ExitCode.USAGE,
    });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new UserError(`${k.what} ${path} is ${fileKind(st)}, not a regular file`, {
        where,
        hint: `give the path of a ${k.what}`,
        exitCode: ExitCode.USAGE,
      });
    if (st.size > k.maxBytes)
      throw new UserError(`${k.what} ${path} is ${st.size} bytes, more than a ${k.what} holds (${k.maxBytes})`, {
        where,
        hint: `check that ${path} is the right file`,
        exitCode: ExitCode.USAGE,
      });
    // room for the size it said and a little more, never past one byte beyond the limit: a file
    // that grows while read is refused, not followed (and a small key costs a small buffer)
    let buf = Buffer.alloc(Math.min(st.size + 4096, k.maxBytes + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) buf = Buffer.concat([buf, Buffer.alloc(Math.min(buf.length, k.maxBytes + 1 - buf.length))]);
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > k.maxBytes)
        throw new UserError(`${k.what} ${path} grew past ${k.maxBytes} bytes while it was read`, {
          where,
          hint: `check that ${path} is the right file`,
          exitCode: ExitCode.USAGE,
        });
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The same, as UTF-8 text. */
export function readLocalTextSync(path: string, k: LocalFileKind): string {
  return readLocalFileSync(path, k).toString('utf8');
}
