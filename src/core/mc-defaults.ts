import type { PillarSetting } from './model.js';
import { didYouMean } from './naming.js';

/**
 * The original's `mc_utils.defaults(prefix, defaults)` (original-system.md §1.2), for pillar keys:
 *  1. the pillar value at `prefix`, when it is a mapping, updates the defaults recursively (the
 *     map form: `makina-states.cloud.lxc: {defaults: {profile: large}}`);
 *  2. each known key `k` can then be overridden by the flat key `prefix.k`: nested mappings
 *     recurse (`prefix.defaults.profile`), a list default is EXTENDED by the flat key's list,
 *     anything else is replaced;
 *  3. the flat key `prefix.k-overrides` replaces a value outright (lists included).
 * Keys under the prefix that match no default are reported, never silently dropped.
 */
export type Tree = { [key: string]: unknown };

export interface Resolved {
  value: Tree;
  /** dotted path under the prefix (`defaults.profile`) → the pillar line that set it */
  sources: Map<string, number>;
  /** pillar keys under the prefix that name nothing the defaults know */
  unknown: { key: string; line: number; guess?: string }[];
}

const isTree = (v: unknown): v is Tree => v !== null && typeof v === 'object' && !Array.isArray(v);

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Every dotted path of a tree, leaves and inner nodes. */
function paths(t: Tree, base = ''): string[] {
  return Object.entries(t).flatMap(([k, v]) => [`${base}${k}`, ...(isTree(v) ? paths(v, `${base}${k}.`) : [])]);
}

export function mcDefaults(
  prefix: string,
  defaults: Tree,
  settings: readonly PillarSetting[],
  opts: { exclude?: string[]; /** mappings that may gain keys (new sizes in lxc_cloud_profiles) */ open?: string[] } = {},
): Resolved {
  const value = clone(defaults);
  const sources = new Map<string, number>();
  const used = new Set<PillarSetting>();
  const unknown: Resolved['unknown'] = [];
  const known = paths(defaults);

  // 1. the map form
  const map = settings.find((s) => s.key === prefix);
  if (map) {
    used.add(map);
    if (isTree(map.value)) {
      const update = (target: Tree, from: Tree, at: string) => {
        const openHere = (opts.open ?? []).some((o) => at === `${o}.` || at.startsWith(`${o}.`));
        for (const [k, v] of Object.entries(from)) {
          const path = `${at}${k}`;
          if ((opts.exclude ?? []).includes(path)) continue;
          if (!Object.hasOwn(target, k) && !openHere) {
            unknown.push({ key: `${prefix}: {${path}: …}`, line: map.line, guess: didYouMean(path, known, 3) });
            continue;
          }
          if (isTree(target[k]) && isTree(v)) update(target[k] as Tree, v, `${path}.`);
          else {
            target[k] = clone(v);
            sources.set(path, map.line);
          }
        }
      };
      update(value, map.value, '');
    } else if (map.value !== null) unknown.push({ key: prefix, line: map.line });
  }

  // 2. and 3. flat keys, recursing into known mappings
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const walk = (node: Tree, at: string) => {
    for (const k of Object.keys(node)) {
      const path = `${at}${k}`;
      const over = byKey.get(`${prefix}.${path}-overrides`);
      const flat = byKey.get(`${prefix}.${path}`);
      if (over) {
        used.add(over);
        node[k] = clone(over.value);
        sources.set(path, over.line);
      } else if (flat) {
        used.add(flat);
        const cur = node[k];
        if (isTree(cur) && isTree(flat.value)) {
          for (const [kk, vv] of Object.entries(flat.value)) {
            cur[kk] = clone(vv);
            sources.set(`${path}.${kk}`, flat.line);
          }
        } else if (Array.isArray(cur) && flat.value !== null) {
          const add = Array.isArray(flat.value) ? flat.value : [flat.value];
          for (const x of add) if (!cur.some((c) => JSON.stringify(c) === JSON.stringify(x))) cur.push(clone(x));
          sources.set(path, flat.line);
        } else {
          node[k] = clone(flat.value);
          sources.set(path, flat.line);
        }
      }
      if (isTree(node[k])) walk(node[k] as Tree, `${path}.`);
    }
  };
  walk(value, '');

  // What else sits under the prefix is not read by anything: say so.
  for (const s of settings) {
    if (used.has(s) || !s.key.startsWith(`${prefix}.`)) continue;
    const rest = s.key.slice(prefix.length + 1);
    if ((opts.exclude ?? []).some((e) => rest === e || rest.startsWith(`${e}.`))) continue;
    unknown.push({ key: s.key, line: s.line, guess: didYouMean(rest.replace(/-overrides$/, ''), known, 3) });
  }
  return { value, sources, unknown };
}
