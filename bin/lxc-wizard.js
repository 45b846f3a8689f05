#!/usr/bin/env node
// Colour is decided before anything that reads the environment at import time is loaded
// (chalk ignores NO_COLOR; it honours FORCE_COLOR=0).
if ((process.env.NO_COLOR ?? '') !== '' || process.argv.includes('--no-color') || process.env.TERM === 'dumb') {
  process.env.FORCE_COLOR = '0';
}
const { main } = await import('../dist/bundle/cli.mjs');
process.exitCode = await main(process.argv.slice(2));
