/**
 * Load a module that brings in Ink with Node's `fetch` out of sight. Ink's layout engine
 * (yoga-layout) fetches its own WebAssembly from a data: URL whenever `fetch` exists, and the first
 * use of Node's fetch loads undici: 60-95 ms of the wizard's first frame on the project's machine
 * (bench/wizard-startup). Without fetch, yoga decodes the same bytes itself.
 *
 * The property is put back as it was, by descriptor: reading `globalThis.fetch` would itself load
 * undici. Nothing else in lxc-wizard uses fetch, so hiding it while the import runs is safe.
 */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'fetch', saved);
    else Reflect.deleteProperty(globalThis, 'fetch');
  }
}
