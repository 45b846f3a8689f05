#!/usr/bin/env node
// Prints every import cycle among src/ modules (static and dynamic imports); exits 1 if any.
// Run by `npm run lint`: the architecture has no circles (README, "Architecture").
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname, 'src');
const files = [];
(function walk(d) {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.tsx?$/.test(n) && !/\.test\.tsx?$/.test(n)) files.push(p);
  }
})(root);
const edges = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
    const base = resolve(dirname(f), m[1]).replace(/\.js$/, '');
    const hit = [`${base}.ts`, `${base}.tsx`].find((c) => files.includes(c));
    if (hit) deps.push(hit);
  }
  edges.set(f, deps);
}
const cycles = new Set();
const state = new Map();
const stack = [];
function visit(f) {
  state.set(f, 1);
  stack.push(f);
  for (const d of edges.get(f) ?? []) {
    if (state.get(d) === 1)
      cycles.add(
        stack
          .slice(stack.indexOf(d))
          .concat(d)
          .map((p) => relative(root, p))
          .join(' → '),
      );
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of files) if (!state.has(f)) visit(f);
for (const c of cycles) console.log(`import cycle: ${c}`);
process.exit(cycles.size ? 1 : 0);
