#!/usr/bin/env node
// Prints figures, asserts nothing: a pillar of N VMs under one node, none allocated yet (`{}`
// entries: everything pending), through `validate`, `list` and `add --dry-run`, each against a
// process that only parses the same file with the YAML library, in the same run; and the same at
// 2N, to show the growth is linear (a ratio near 2 from N to 2N). Goal: linear; <= 4x the parse
// (the library's parse as lxc-wizard asks it: without its own duplicate-key check, quadratic).
// Usage: npm run bench:pending   (builds first; runs bin/lxc-wizard.js)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const N = Number(process.env.PENDING_VMS ?? 20_000);
const RUNS = 3;
const bin = new URL('../bin/lxc-wizard.js', import.meta.url).pathname;
const yaml = new URL('../node_modules/yaml/dist/index.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lxc-wizard-pending-'));

function pillar(n) {
  const lines = ['makina-states.cloud.lxc.vms.n1.local:'];
  for (let i = 0; i < n; i++) lines.push(`  vm${i}.example.com: {}`);
  const path = join(dir, `p${n}.sls`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

function time(args) {
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: dir, maxBuffer: 256 * 1024 * 1024 });
    xs.push(performance.now() - t0);
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 400)}`);
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

try {
  const at = {};
  for (const n of [N, 2 * N]) {
    const p = pillar(n);
    const parse = time([
      '-e',
      `require(${JSON.stringify(yaml)}).parseDocument(require('fs').readFileSync(${JSON.stringify(p)}, 'utf8'), {version: '1.1', uniqueKeys: false})`,
    ]);
    console.log(`${n} pending VMs: the YAML library's parse alone ${parse.toFixed(0)} ms`);
    for (const [label, args] of [
      ['validate', ['validate', '--pillar', p]],
      ['list', ['list', '--pillar', p]],
      ['add --dry-run', ['add', 'n1.local', 'new.example.com', '--pillar', p, '--dry-run']],
    ]) {
      const ms = time([bin, ...args]);
      (at[label] ??= []).push(ms);
      console.log(
        `  ${label}: ${ms.toFixed(0)} ms, ${(ms / parse).toFixed(2)}x the parse (goal <= 4x) ${ms / parse <= 4 ? 'OK' : 'MISSED'}`,
      );
    }
  }
  for (const [label, [a, b]] of Object.entries(at))
    console.log(`${label}: ${N} -> ${2 * N} VMs took ${(b / a).toFixed(2)}x the time (linear: about 2) ${b / a <= 2.6 ? 'OK' : 'MISSED'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
