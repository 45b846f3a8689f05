import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { NodeState } from '../core/model.js';
import { writeFileAtomic } from './atomic-write.js';

/** Step results per VM of a node: where a re-run resumes. */
export type LedgerState = Record<string, Record<string, { state: string; at: string }>>;

/**
 * One JSON document per compute node, mode 0600, replaced atomically under a lock. Node names
 * are kept verbatim in file names (the original stripped dots, so a.bc and ab.c collided).
 */
export class NodeDocuments<T extends object> {
  constructor(readonly dir: string) {}

  fileOf(node: string): string {
    return join(this.dir, `${encodeURIComponent(node)}.json`);
  }

  async read(node: string): Promise<T> {
    const file = this.fileOf(node);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {} as T;
      throw err;
    }
    try {
      return ((JSON.parse(text) as { vms?: T }).vms ?? {}) as T;
    } catch {
      throw new UserError(`state file ${file} is not valid JSON`, {
        where: { file },
        hint: 'restore it from a backup, or delete it (generated values would be allocated again)',
      });
    }
  }

  async readAll(): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const node = decodeURIComponent(n.slice(0, -5));
      out.set(node, await this.read(node));
    }
    return out;
  }

  /** Read-modify-write one node's document under its lock. */
  async update(node: string, fn: (current: T) => T | Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(node);
    // Loaded here, not at the top: reading settings must not pay for the lock library.
    const { withLock } = await import('./lock.js');
    return withLock(file, async () => {
      const next = await fn(await this.read(node));
      await writeFileAtomic(file, JSON.stringify({ version: 1, node, vms: next }, null, 2) + '\n', { mode: 0o600 });
      return next;
    });
  }
}

/**
 * What is kept beside a pillar, shared by everyone who edits it: generated values (IP, MAC,
 * password, ssh port) and the ledger of step results, per compute node.
 */
export class StateStore {
  readonly values: NodeDocuments<NodeState>;
  readonly ledger: NodeDocuments<LedgerState>;
  constructor(readonly dir: string) {
    this.values = new NodeDocuments(join(dir, 'lxc-wizard', 'nodes'));
    this.ledger = new NodeDocuments(join(dir, 'lxc-wizard', 'ledger'));
  }

  /** Default: cloud-controller/ beside the pillar file, as the original kept its stores. */
  static besidePillar(pillarPath: string, override?: string): StateStore {
    return new StateStore(override ?? join(dirname(pillarPath), 'cloud-controller'));
  }
}
