#!/usr/bin/env node
// Build: tsc (type-checked ES modules in dist/, used by tests) and an esbuild bundle for the
// binary (dist/bundle/): one file per command chunk, dependencies inlined, because resolving ~100
// small modules at start-up cost ~40 ms, a third of `settings --json`'s wall time.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// it says what it builds as it goes: tsc takes most of the time on a small machine (half a minute)
const t0 = performance.now();
const secs = (t) => `${((performance.now() - t) / 1000).toFixed(1)} s`;
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
process.stderr.write('build: type-checking and compiling src/ to dist/ (tsc)… ');
const tTsc = performance.now();
execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
process.stderr.write(`${secs(tTsc)}\nbuild: bundling the binary into dist/bundle/ (esbuild)… `);
const tBundle = performance.now();
const result = await build({
  entryPoints: [`${root}src/cli.ts`],
  outdir: `${root}dist/bundle`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  // ssh2 requires optional native addons (.node) inside try/catch: load it from node_modules as is.
  // Ink imports react-devtools-core only when DEV=true.
  external: ['ssh2', 'cpu-features', 'react-devtools-core'],
  // CommonJS dependencies (yaml, diff) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __lxcWizardRequire } from 'node:module'; const require = __lxcWizardRequire(import.meta.url);" },
  // React and its reconciler ship a development and a production build, chosen by NODE_ENV when
  // they load: the bundle would carry both (about 0.5 MB more to parse at start-up) and run the
  // development one, with its extra checks, on every frame. The binary runs the production one.
  define: { LXC_WIZARD_VERSION: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' },
  // Less to parse at start-up; identifiers kept so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  metafile: true,
});
// Which sources and packages each chunk holds: bench/cli-startup reads it to tell what a path loads.
writeFileSync(`${root}dist/bundle/meta.json`, JSON.stringify(result.metafile));
const chunks = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs'));
const bytes = chunks.reduce((n, f) => n + result.metafile.outputs[f].bytes, 0);
process.stderr.write(`${secs(tBundle)}, ${chunks.length} chunks, ${(bytes / 1024).toFixed(0)} KiB\nbuild: done in ${secs(t0)}\n`);
