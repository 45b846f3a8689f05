import type { Ledger } from '../engine/run.js';
import type { StateStore } from '../pillar-writer/state-store.js';

/** The engine's ledger, kept in the state store beside the pillar: where a re-run resumes. */
export function storeLedger(store: StateStore): Ledger {
  return {
    async get(node, vm) {
      return ((await store.ledger.read(node))[vm] ?? {}) as Awaited<ReturnType<Ledger['get']>>;
    },
    async record(node, vm, step, state) {
      await store.ledger.update(node, (l) => ({ ...l, [vm]: { ...l[vm], [step]: { state, at: new Date().toISOString() } } }));
    },
  };
}

/**
 * Whether the VM's ssh forward is in place as far as the ledger knows: `ssh -p PORT root@NODE` is
 * shown as a way in only then, and otherwise with what makes it work.
 */
export async function forwardInPlace(store: StateStore, node: string, vm: string): Promise<boolean> {
  const state = (await store.ledger.read(node))[vm]?.reverse_proxy?.state;
  return state === 'done' || state === 'already-done';
}
