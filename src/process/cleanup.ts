/**
 * One registry for what must happen however the process ends: SSH connections closed, the
 * terminal restored. Ctrl-C, SIGTERM and normal exits all run it once.
 */
type Cleanup = () => void | Promise<void>;
const registry = new Set<Cleanup>();

export function registerCleanup(fn: Cleanup): () => void {
  registry.add(fn);
  return () => registry.delete(fn);
}

export async function runCleanup(): Promise<void> {
  const fns = [...registry].reverse();
  registry.clear();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // one failing cleanup must not keep the others from running
    }
  }
}
