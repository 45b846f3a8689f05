#!/usr/bin/env node
// Prints figures, asserts nothing: wall time of `lxc-wizard --version` and `settings --json`
// against `node -e 0` in the same run (goal: <= 2x), and which packages each path loads
// (goal: never ink or react on these paths).
// Usage: npm run bench:startup   (builds first; runs bin/lxc-wizard.js)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RUNS = 25;
const bin = new URL('../bin/lxc-wizard.js', import.meta.url).pathname;
const tracer = new URL('./trace-packages.mjs', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'lxc-wizard-startup-'));
const pillar = join(dir, 'seed.sls');
copyFileSync(new URL('../test/fixtures/seed.sls', import.meta.url), pillar);

function time(args) {
  const xs = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    if (i >= 2) xs.push(ms);
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

const meta = JSON.parse(readFileSync(new URL('../dist/bundle/meta.json', import.meta.url), 'utf8'));
const root = new URL('..', import.meta.url).pathname;

/** npm packages a run loads: files it resolves, and the inputs esbuild put in each loaded chunk. */
function packages(args) {
  const r = spawnSync(process.execPath, ['--import', tracer, ...args], { encoding: 'utf8' });
  const files = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('file:'))
    .map((l) => l.slice(5));
  const inputs = files.flatMap((f) => Object.keys(meta.outputs[f.slice(root.length)]?.inputs ?? {}).concat(f));
  const names = inputs.map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(i)?.[1]).filter(Boolean);
  return [...new Set(names)].sort();
}

try {
  const base = time(['-e', '0']);
  console.log(`node -e 0: median ${base.toFixed(1)} ms over ${RUNS} runs`);
  for (const [label, args] of [
    ['--version', [bin, '--version']],
    ['settings --json', [bin, 'settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar, '--json']],
  ]) {
    const ms = time(args);
    const pk = packages(args);
    const ui = pk.filter((p) => p === 'ink' || p === 'react' || p.startsWith('ink-'));
    console.log(
      `lxc-wizard ${label}: median ${ms.toFixed(1)} ms, ${(ms / base).toFixed(2)}x node -e 0 (goal <= 2x) ${ms / base <= 2 ? 'OK' : 'MISSED'}; packages: ${pk.join(', ') || 'none'}${ui.length ? ` UI LOADED: ${ui.join(', ')}` : ' (no Ink/React)'}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
