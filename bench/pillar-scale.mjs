#!/usr/bin/env node
// Prints figures, asserts nothing: load + validate + add one VM + atomic write of a pillar with
// 10,000 VMs over 100 compute nodes (with comments), against yaml.parseDocument + toString of the
// same file in the same run. Goals: ratio <= 2, peak RSS < 300 MB. Then the commands as processes,
// and the wizard's review, write and run set-up on that pillar, each against the parse alone.
// Usage: npm run bench:pillar-scale   (builds first; reads dist/)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDocument } from 'yaml';

const NODES = 100;
const PER_NODE = 100;
const ROUNDS = 5;

function generate() {
  const out = ['# generated fleet for bench/pillar-scale', ''];
  for (let n = 0; n < NODES; n++) {
    out.push(`# compute node ${n}: rack ${n % 7}`, `makina-states.cloud.lxc.vms.cn${n}.example.net:`);
    for (let v = 0; v < PER_NODE; v++) {
      const name = `vm${v}.node${n}.example.com`;
      if (v % 3 === 0) out.push(`  # ${name}: owned by team ${v % 5}`);
      if (v % 2 === 0) out.push(`  ${name}: {}`);
      else
        out.push(
          `  ${name}:`,
          `    profile_type: ${v % 4 === 1 ? 'dir' : 'lvm'}`,
          `    ip: 10.5.${Math.floor(v / 200)}.${(v % 200) + 10}`,
          `    mode: mastersalt   # default`,
        );
    }
  }
  return out.join('\n') + '\n';
}

async function ours(file) {
  const { readPillar } = await import('../dist/pillar-writer/read.js');
  const { validatePillar } = await import('../dist/core/validate.js');
  const { upsertVm } = await import('../dist/pillar-writer/edit.js');
  const { writeFileAtomic } = await import('../dist/pillar-writer/atomic-write.js');
  const t0 = performance.now();
  const pf = await readPillar(file);
  const findings = validatePillar(pf.model, 'prod');
  const { text } = upsertVm(pf, 'cn42.example.net', 'new.example.com', { profile_type: 'dir' });
  await writeFileAtomic(file, text, { expectedSha256: pf.sha256 });
  const ms = performance.now() - t0;
  if (findings.some((f) => f.severity === 'error')) throw new Error('generated pillar should be valid');
  if (pf.model.vms.length !== NODES * PER_NODE) throw new Error('wrong VM count');
  return ms;
}

function baseline(text) {
  const t0 = performance.now();
  const doc = parseDocument(text, { version: '1.1' });
  const s = doc.toString();
  const ms = performance.now() - t0;
  if (s.length === 0) throw new Error('unreachable');
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const mode = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'lxc-wizard-bench-'));
try {
  const text = generate();
  const file = join(dir, 'fleet.sls');
  if (mode === '--rss-ours' || mode === '--rss-baseline') {
    writeFileSync(file, text);
    if (mode === '--rss-ours') await ours(file);
    else baseline(text);
    process.stdout.write(String(process.resourceUsage().maxRSS / 1024));
    process.exit(0);
  }
  const base = [];
  const mine = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    writeFileSync(file, text);
    const b = baseline(text);
    const o = await ours(file);
    if (r > 0) {
      // round 0 warms up the JIT and the module cache for both sides
      base.push(b);
      mine.push(o);
    }
  }
  const rss = (m) => Number(spawnSync(process.execPath, [new URL(import.meta.url).pathname, m], { encoding: 'utf8' }).stdout);
  const rssOurs = rss('--rss-ours');
  const rssBase = rss('--rss-baseline');
  const ratio = median(mine) / median(base);
  console.log(
    `pillar: ${NODES * PER_NODE} VMs over ${NODES} nodes, ${(text.length / 1e6).toFixed(1)} MB, ${text.split('\n').length} lines`,
  );
  console.log(`baseline parseDocument+toString: median ${median(base).toFixed(0)} ms over ${ROUNDS} rounds`);
  console.log(`lxc-wizard load+validate+add+write: median ${median(mine).toFixed(0)} ms over ${ROUNDS} rounds`);
  console.log(`ratio: ${ratio.toFixed(2)} (goal <= 2) ${ratio <= 2 ? 'OK' : 'MISSED'}`);
  console.log(
    `peak RSS: lxc-wizard ${rssOurs.toFixed(0)} MB, baseline ${rssBase.toFixed(0)} MB (goal < 300 MB) ${rssOurs < 300 ? 'OK' : 'MISSED'}`,
  );

  // The commands as an operator runs them, against a process that only parses the file with the
  // YAML library (node start-up on both sides).
  writeFileSync(file, text);
  const bin = new URL('../bin/lxc-wizard.js', import.meta.url).pathname;
  const yamlUrl = import.meta.resolve('yaml');
  const timed = (args) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, XDG_STATE_HOME: dir } });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return performance.now() - t0;
  };
  const runs = (args) => median(Array.from({ length: 6 }, () => timed(args)).slice(1));
  const parseOnly = runs([
    '--input-type=module',
    '-e',
    `import { readFileSync } from 'node:fs'; const { parseDocument } = await import(${JSON.stringify(yamlUrl)}); parseDocument(readFileSync(${JSON.stringify(file)}, 'utf8'), { version: '1.1' });`,
  ]);
  const settings = runs([bin, 'settings', 'cn42.example.net', 'vm1.node42.example.com', '--pillar', file, '--json']);
  const validate = runs([bin, 'validate', '--pillar', file, '--json']);
  console.log(`node + yaml parseDocument of that file: median ${parseOnly.toFixed(0)} ms (5 runs)`);
  for (const [name, ms] of [
    ['settings --json', settings],
    ['validate --json', validate],
  ])
    console.log(
      `lxc-wizard ${name}: ${ms.toFixed(0)} ms, ${(ms / parseOnly).toFixed(2)}x (goal <= 2) ${ms / parseOnly <= 2 ? 'OK' : 'MISSED'}`,
    );

  // The wizard on that pillar, in process (its services, as the Ink and --plain front ends use
  // them): the review of one new VM, its write with the re-read after it, and a run's set-up until
  // preflight reports (the node is 127.0.0.1:1: refused at once). Each against the YAML library's
  // parse of the file in the same run.
  writeFileSync(file, text);
  const sshConfig = join(dir, 'ssh_config');
  writeFileSync(sshConfig, 'Host *\n  HostName 127.0.0.1\n  Port 1\n');
  const { wizardServices } = await import('../dist/app/wizard-services.js');
  const { openWorkspace } = await import('../dist/app/workspace.js');
  const ws = await openWorkspace({ pillar: file, env: 'prod', controller: 'ctl.example.net' });
  const wiz = await wizardServices(
    ws,
    { home: join(dir, 'home'), stateHome: join(dir, 'state'), sshConfig },
    { noSalt: true, commandArgs: { context: [], run: [] } },
  );
  await wiz.ready?.();
  const phases = { review: [], 'write (and the re-read after it)': [], "a run's set-up, to preflight": [] };
  const parses = [];
  for (let r = 0; r < 4; r++) {
    const vm = `wizard${r}.example.com`;
    let t0 = performance.now();
    parseDocument(readFileSync(file, 'utf8'), { version: '1.1' });
    parses.push(performance.now() - t0);
    const lap = (name) => {
      const t = performance.now();
      phases[name].push(t - t0);
      t0 = t;
    };
    t0 = performance.now();
    wiz.preview('cn42.example.net', vm, { profile_type: 'dir' });
    lap('review');
    await wiz.write('cn42.example.net', vm, { profile_type: 'dir' }, { update: false });
    lap('write (and the re-read after it)');
    const out = await wiz.run('cn42.example.net', vm, () => undefined, new AbortController().signal, { noSalt: true });
    lap("a run's set-up, to preflight");
    if (out.ok || out.steps[0]?.state !== 'failed') throw new Error('the run should fail at preflight (nothing listens on port 1)');
  }
  const p = median(parses);
  console.log(`the wizard on that pillar (in process; the YAML library's parse of the file: median ${p.toFixed(0)} ms, 4 rounds):`);
  for (const [name, ms] of Object.entries(phases))
    console.log(`  ${name}: median ${median(ms).toFixed(0)} ms, ${(median(ms) / p).toFixed(2)}x the parse`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
