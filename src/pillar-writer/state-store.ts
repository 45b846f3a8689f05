import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { NodeState, StoreSnapshot } from '../core/model.js';
import { writeFileAtomic } from './atomic-write.js';

export type LedgerState = Record<string, Record<string, { state: string; at: string }>>;

async function readJson<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`state file ${file} is not valid JSON`, { where: { file }, hint: 'restore it from a backup, or delete it (generated values would be allocated again)' });
  }
}

/**
 * Generated values (IP, MAC, password, ssh port) shared by everyone who edits a pillar: one JSON
 * file per compute node, mode 0600, replaced atomically under a lock. Names are kept verbatim
 * (the original stripped dots, so a.bc and ab.c collided).
 */
export class StateStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** Default: cloud-controller/ beside the pillar file, as the original kept its stores. */
  static besidePillar(pillarPath: string, override?: string): StateStore {
    return new StateStore(override ?? join(dirname(pillarPath), 'cloud-controller'));
  }

  private get ledgerDir(): string {
    return join(this.dir, 'lxc-wizard', 'ledger');
  }

  ledgerFileOf(node: string): string {
    return join(this.ledgerDir, `${encodeURIComponent(node)}.json`);
  }

  /** Step results per VM of a node: where a re-run resumes. */
  async readLedger(node: string): Promise<LedgerState> {
    return (await readJson<{ vms?: LedgerState }>(this.ledgerFileOf(node)))?.vms ?? {};
  }

  async updateLedger(node: string, fn: (current: LedgerState) => LedgerState): Promise<LedgerState> {
    await mkdir(this.ledgerDir, { recursive: true, mode: 0o700 });
    const file = this.ledgerFileOf(node);
    const { withLock } = await import('./lock.js');
    return withLock(file, async () => {
      const next = fn(await this.readLedger(node));
      await writeFileAtomic(file, JSON.stringify({ version: 1, node, vms: next }, null, 2) + '\n', { mode: 0o600 });
      return next;
    });
  }

  private get nodesDir(): string {
    return join(this.dir, 'lxc-wizard', 'nodes');
  }

  fileOf(node: string): string {
    return join(this.nodesDir, `${encodeURIComponent(node)}.json`);
  }

  async readNode(node: string): Promise<NodeState> {
    return (await readJson<{ vms?: NodeState }>(this.fileOf(node)))?.vms ?? {};
  }

  async readAll(): Promise<StoreSnapshot> {
    const out = new Map<string, NodeState>();
    let names: string[];
    try {
      names = await readdir(this.nodesDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      const node = decodeURIComponent(n.slice(0, -5));
      out.set(node, await this.readNode(node));
    }
    return out;
  }

  /** Read-modify-write one node's values under its lock. */
  async update(node: string, fn: (current: NodeState) => NodeState | Promise<NodeState>): Promise<NodeState> {
    await mkdir(this.nodesDir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(node);
    // Loaded here, not at the top: reading settings must not pay for the lock library.
    const { withLock } = await import('./lock.js');
    return withLock(file, async () => {
      const next = await fn(await this.readNode(node));
      await writeFileAtomic(file, JSON.stringify({ version: 1, node, vms: next }, null, 2) + '\n', { mode: 0o600 });
      return next;
    });
  }
}
