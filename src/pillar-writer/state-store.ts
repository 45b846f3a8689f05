import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileError, UserError } from '../core/errors.js';
import { macProblem, parseIPv4 } from '../core/ipv4.js';
import type { NodeState, StoredVm } from '../core/model.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { isStepName } from '../core/steps.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeUtf8 } from './safe-file.js';

/** Step results per VM of a node: where a re-run resumes. */
export type LedgerState = Record<string, Record<string, { state: string; at: string }>>;

const MAX_STORE_BYTES = 16 * 1024 * 1024;

/**
 * One JSON document per compute node, mode 0600 in a 0700 directory, replaced atomically under a
 * lock. Node names are kept verbatim (the original stripped dots, so a.bc and ab.c collided); a
 * name too long for a file name is hashed, and the document says which node it holds.
 */
export class NodeDocuments<T extends object> {
  constructor(
    readonly dir: string,
    /** what a document's `vms` must look like: a message for the first problem, or undefined */
    private readonly check: (vms: unknown) => string | undefined,
  ) {}

  fileOf(node: string): string {
    const plain = `${encodeURIComponent(node)}.json`;
    return join(this.dir, plain.length <= 200 ? plain : `sha256-${createHash('sha256').update(node).digest('hex')}.json`);
  }

  async read(node: string): Promise<T> {
    return (await this.readFile(this.fileOf(node), node)) ?? ({} as T);
  }

  /** Every node's document; files that are not documents of ours (`notes.txt`) are ignored. */
  async readAll(): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    if (!(await checkPrivateDir(this.dir, false))) return out;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      throw fileError(err, this.dir, 'read the state directory');
    }
    for (const n of names.sort()) {
      if (!n.endsWith('.json')) continue;
      const doc = await this.readDocument(join(this.dir, n));
      if (doc) out.set(doc.node, doc.vms);
    }
    return out;
  }

  /** Read-modify-write one node's document under its lock; modes forced to 0700/0600 each time. */
  async update(node: string, fn: (current: T) => T | Promise<T>): Promise<T> {
    return (await this.change(node, fn)).value;
  }

  /**
   * update(), with a way back: undo() restores exactly what was there (the same bytes, or no file
   * and none of the directories this change created) if nobody wrote since; otherwise it applies
   * `revert` to the current document, so that another writer's change is never lost.
   */
  async change(node: string, fn: (current: T) => T | Promise<T>): Promise<{ value: T; undo(revert: (current: T) => T): Promise<void> }> {
    const created = await ensurePrivateDirs([dirname(dirname(this.dir)), dirname(this.dir), this.dir]);
    const file = this.fileOf(node);
    // Loaded here, not at the top: reading settings must not pay for the lock.
    const { withLock } = await import('./lock.js');
    let before: Buffer | undefined;
    let written = '';
    const value = await withLock(file, async () => {
      before = await readFile(file).catch(() => undefined);
      const next = await fn(await this.read(node));
      written = JSON.stringify({ version: 2, node, vms: next }, null, 2) + '\n';
      await writeFileAtomic(file, written, { forceMode: 0o600 });
      return next;
    });
    const undo = async (revert: (current: T) => T) => {
      await withLock(file, async () => {
        const now = await readFile(file, 'utf8').catch(() => undefined);
        if (now !== written) {
          const current = await this.read(node);
          await writeFileAtomic(file, JSON.stringify({ version: 2, node, vms: revert(current) }, null, 2) + '\n', { forceMode: 0o600 });
        } else if (before !== undefined) {
          await writeFileAtomic(file, before.toString('utf8'), { forceMode: 0o600 });
        } else {
          await rm(file, { force: true });
        }
      });
      if (before === undefined) for (const d of [...created].reverse()) await rmdir(d).catch(() => undefined);
    };
    return { value, undo };
  }

  private async readFile(file: string, node: string): Promise<T | undefined> {
    const doc = await this.readDocument(file);
    if (doc && doc.node !== node) {
      throw new UserError(`state file ${file} holds node '${doc.node}', not '${node}'`, {
        where: { file },
        hint: 'move the file back where it belongs, or restore the store from a backup',
      });
    }
    return doc?.vms;
  }

  private async readDocument(file: string): Promise<{ node: string; vms: T } | undefined> {
    if (!(await checkPrivateDir(this.dir, false))) return undefined;
    let st;
    try {
      st = await lstat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fileError(err, file, 'read the state file');
    }
    checkOwned(file, st, 'file');
    if (!st.isFile())
      throw new UserError(`state file ${file} is not a regular file`, {
        where: { file },
        hint: `move ${file} away; lxc-wizard keeps its values in regular files only`,
      });
    let text: string;
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err) =>
      Promise.reject(fileError(err, file, 'read the state file')),
    );
    try {
      const buf = await fh.readFile();
      if (buf.length > MAX_STORE_BYTES)
        throw new UserError(`state file ${file} is larger than ${MAX_STORE_BYTES} bytes`, {
          where: { file },
          hint: 'it is not one lxc-wizard wrote; restore it from a backup',
        });
      text = decodeUtf8(buf, file, 'state file');
    } finally {
      await fh.close();
    }
    const bad = (why: string) =>
      new UserError(`state file ${file} ${why}`, {
        where: { file },
        hint: 'restore it from a backup; deleting it forgets the generated values (passwords included) it holds',
      });
    let doc: { node?: unknown; vms?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw bad('is not valid JSON');
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad('is not a JSON object');
    if (typeof doc.node !== 'string' || hostnameProblem(doc.node)) throw bad('does not name a valid compute node');
    const problem = this.check(doc.vms ?? {});
    if (problem) throw bad(problem);
    return { node: doc.node, vms: (doc.vms ?? {}) as T };
  }
}

/** Owned by the user running lxc-wizard, writable by nobody else: values planted by another user are not adopted. */
function checkOwned(path: string, st: { uid: number; mode: number; isSymbolicLink(): boolean }, what: 'file' | 'directory'): void {
  const euid = process.geteuid?.();
  if (st.isSymbolicLink())
    throw new UserError(`state ${what} ${path} is a symbolic link`, {
      where: { file: path },
      hint: `replace it with a real ${what}; lxc-wizard does not follow links in its store`,
    });
  if (euid !== undefined && st.uid !== euid) {
    throw new UserError(`state ${what} ${path} belongs to uid ${st.uid}, not to you (uid ${euid})`, {
      where: { file: path },
      hint: `run lxc-wizard as the user who owns the store, or, if the values are trusted, chown -R ${euid} ${path}`,
    });
  }
  if (st.mode & 0o022) {
    throw new UserError(
      `state ${what} ${path} is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o777).toString(8)})`,
      {
        where: { file: path },
        hint: `anyone allowed to write there could plant values; check its content, then chmod ${what === 'directory' ? 700 : 600} ${path}`,
      },
    );
  }
}

/** false when the directory does not exist; throws when it exists but is not ours alone. */
async function checkPrivateDir(dir: string, create: boolean): Promise<boolean> {
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !create) return false;
    throw fileError(err, dir, 'inspect the state directory');
  }
  if (!st.isDirectory() && !st.isSymbolicLink())
    throw new UserError(`state directory ${dir} is not a directory`, { where: { file: dir }, hint: `move ${dir} away` });
  checkOwned(dir, st, 'directory');
  return true;
}

/** mkdir -p, one component at a time: the error is the real one (EROFS, EACCES), not ENOENT. */
async function mkdirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const st = await lstat(d).catch(() => undefined);
    if (st) break;
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(err, d, 'create the state directory');
    }
  }
}

/** Each directory made private (0700, ours); returns those that did not exist before. */
async function ensurePrivateDirs(dirs: string[]): Promise<string[]> {
  const created: string[] = [];
  for (const d of dirs) {
    const existed = await lstat(d).then(
      () => true,
      () => false,
    );
    // the store root (cloud-controller/) may be the original's shared directory: only create it
    if (d === dirs[0]) await mkdirs(d);
    else await ensurePrivateDir(d);
    if (!existed) created.push(d);
  }
  return created;
}

async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdirs(dir);
  const st = await lstat(dir).catch((err) => Promise.reject(fileError(err, dir, 'inspect the state directory')));
  if (!st.isDirectory())
    throw new UserError(`state directory ${dir} is not a directory`, { where: { file: dir }, hint: `move ${dir} away` });
  const euid = process.geteuid?.();
  if (euid !== undefined && st.uid !== euid) checkOwned(dir, st, 'directory');
  if ((st.mode & 0o777) !== 0o700) {
    if (st.mode & 0o022) checkOwned(dir, st, 'directory');
    await chmod(dir, 0o700).catch((err) => Promise.reject(fileError(err, dir, 'restrict the state directory')));
  }
}

function checkNodeState(vms: unknown): string | undefined {
  if (vms === null || typeof vms !== 'object' || Array.isArray(vms)) return 'has no mapping of VMs';
  for (const [vm, v] of Object.entries(vms)) {
    if (fqdnProblem(vm)) return `holds an entry for '${vm}', which is not a VM name`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return `holds an entry for ${vm} that is not an object`;
    const s = v as Record<string, unknown>;
    if (s.ip !== undefined && (typeof s.ip !== 'string' || parseIPv4(s.ip) === undefined))
      return `holds an ip for ${vm} that is not an IPv4 address`;
    if (s.mac !== undefined && (typeof s.mac !== 'string' || macProblem(s.mac))) return `holds a mac for ${vm} that is not a MAC address`;
    if (s.password !== undefined && (typeof s.password !== 'string' || !s.password || /[\n\r\0:]/.test(s.password)))
      return `holds a password for ${vm} that is not usable`;
    const port = s.ssh_reverse_proxy_port;
    if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536))
      return `holds an ssh port for ${vm} that is not a port number`;
  }
  return undefined;
}

function checkLedger(vms: unknown): string | undefined {
  if (vms === null || typeof vms !== 'object' || Array.isArray(vms)) return 'has no mapping of VMs';
  for (const [vm, steps] of Object.entries(vms)) {
    if (fqdnProblem(vm)) return `holds results for '${vm}', which is not a VM name`;
    if (steps === null || typeof steps !== 'object' || Array.isArray(steps)) return `holds results for ${vm} that are not an object`;
    for (const [step, r] of Object.entries(steps)) {
      if (!isStepName(step)) return `holds a result for an unknown step '${step}'`;
      if (r === null || typeof r !== 'object' || typeof (r as { state?: unknown }).state !== 'string')
        return `holds a result for ${vm} ${step} without a state`;
    }
  }
  return undefined;
}

/**
 * What is kept beside a pillar, shared by every pillar of that directory and everyone who edits
 * them: generated values (IP, MAC, password, ssh port) and the ledger of step results, per node.
 * A value is released only by an explicit act (destroy --forget, forget), never as a side effect.
 */
export class StateStore {
  readonly values: NodeDocuments<NodeState>;
  readonly ledger: NodeDocuments<LedgerState>;
  constructor(readonly dir: string) {
    this.values = new NodeDocuments(join(dir, 'lxc-wizard', 'nodes'), checkNodeState);
    this.ledger = new NodeDocuments(join(dir, 'lxc-wizard', 'ledger'), checkLedger);
  }

  /** Default: cloud-controller/ beside the (real) pillar file, as the original kept its stores. */
  static besidePillar(pillarPath: string, override?: string): StateStore {
    return new StateStore(override ?? join(dirname(pillarPath), 'cloud-controller'));
  }
}

export type { StoredVm };
