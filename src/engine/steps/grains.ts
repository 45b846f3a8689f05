import { parse, stringify } from 'yaml';
import { lastLine, NodeSession } from '../node-session.js';
import { readInVm, StepError, type Step, type StepContext } from './step.js';

/** The makina-states local registries (original-system.md §9.1), under the salt or mastersalt prefix. */
export function registryFiles(ctx: StepContext): { path: string; keys: Record<string, boolean> }[] {
  const dir = `/etc/${ctx.v.mode === 'mastersalt' ? 'mastersalt' : 'salt'}/makina-states`;
  return [
    { path: `${dir}/cloud.yaml`, keys: { 'makina-states.cloud.is.vm': true, 'makina-states.cloud.is.lxcvm': true } },
    { path: `${dir}/nodetypes.yaml`, keys: { 'makina-states.nodetypes.lxccontainer': true } },
  ];
}

/** A registry file's text with these keys set (the rest kept), as mc_registry.update wrote them. */
export function registryText(text: string | undefined, path: string, keys: Record<string, boolean>): string {
  let current: unknown = {};
  if (text && text.trim()) {
    try {
      current = parse(text, { version: '1.1' }) ?? {};
    } catch {
      throw new StepError(`${path} in the VM is not valid YAML`, 'fix or remove it, then run again');
    }
  }
  if (typeof current !== 'object' || Array.isArray(current))
    throw new StepError(`${path} in the VM is not a YAML mapping`, 'fix or remove it');
  const next = { ...(current as Record<string, unknown>), ...keys };
  return stringify(next, { version: '1.1', lineWidth: 0 });
}

/** Written only when a key is missing or differs: the registry is rewritten on change, as before. */
export const grains: Step = {
  name: 'grains',
  async check(ctx) {
    for (const f of registryFiles(ctx)) {
      const text = await readInVm(ctx, f.path);
      let current: Record<string, unknown> | null = null;
      try {
        current = text ? (parse(text, { version: '1.1' }) as Record<string, unknown> | null) : null;
      } catch {
        return false; // apply says what is wrong with the file
      }
      if (!current || Object.entries(f.keys).some(([k, v]) => current[k] !== v)) return false;
    }
    return true;
  },
  // the files that need it, written in one round trip
  async apply(ctx) {
    const writes: { path: string; next: string }[] = [];
    for (const f of registryFiles(ctx)) {
      const text = await readInVm(ctx, f.path);
      const next = registryText(text, f.path, f.keys);
      if (next !== text) writes.push({ path: f.path, next });
    }
    if (!writes.length) return;
    const item = NodeSession.writeItems(
      writes.map((w) => ({ path: w.path, content: w.next })),
      { vm: ctx.vm },
    );
    const r = await ctx.session.change(item.argv, { ...item, timeoutS: 60, signal: ctx.signal });
    if (r.code !== 0) throw new StepError(`cannot write ${writes.map((w) => w.path).join(' and ')} in ${ctx.vm}: ${lastLine(r)}`);
    for (const w of writes) ctx.session.wrote(w.path, w.next, ctx.vm);
  },
};
