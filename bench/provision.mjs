#!/usr/bin/env node
// Prints figures, asserts nothing (needs root, LXC and sshd: bash .ci/run installs them).
//  1. One VM, all steps, against the baseline: a shell script doing the same work over ONE ssh
//     connection to the node (as an operator's script would), waiting for the boot as the tool does
//     and making the VM's minion key pair first (openssl, RSA 2048), as the tool makes one; also
//     printed against the script without the key, as it was before.
//     On loopback, and at 50 ms round-trip time on the SSH path only (goal at 50 ms: <= 1.25x).
//  2. Round trips (remote commands) per VM and per step, from the run log: a first run, and a
//     re-run that finds everything done (goals: <= 1 per step when nothing needs repair; re-run <= 2).
//  3. 4 compute nodes x 4 VMs at 50 ms: one run (nodes overlap, --concurrency 4 within a node)
//     against the same 16 VMs one after another (goal <= 0.35x).
//  4. SSH connections per node per run (goal: 1, at every scale).
// Latency: this kernel has no netem (CONFIG_NET_SCH_NETEM is not set), so the delay is a TCP relay
// in this process between ssh and sshd that holds every chunk 25 ms each way: only the SSH path is
// slowed, nothing else on the machine. Each round cleans up every container and hosts block it
// made, also when it fails.
// Usage: npm run bench:provision. While working on it: BENCH_PARTS=1,2 runs only those parts,
// BENCH_REPS=N measures N rounds, BENCH_VERBOSE=1 prints every command with its duration and what
// the process spends outside the run log, BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR' profiles.
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lxc-wizard-bench-'));
// inside the repository, so that its packages (proper-lockfile, CommonJS) resolve from node_modules
const bedFile = join(root, 'node_modules', '.cache', 'lxc-wizard-bench', 'testbed.mjs');
// The test bed the end-to-end tests use, compiled for this program rather than copied.
await build({
  entryPoints: [`${root}test/helpers/testbed.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bedFile,
  packages: 'external',
  logLevel: 'error',
});
const bed = await import(bedFile);
const missing = bed.e2eMissing();
if (missing) {
  console.log(`bench/provision cannot run here: ${missing}`);
  process.exit(0);
}
const BIN = `${root}bin/lxc-wizard.js`;
const STAND_IN = `${root}test/fixtures/boot-salt-stand-in.sh`;
const REPS = Number(process.env.BENCH_REPS ?? 3);
const ONE_WAY_MS = 25;
const NODES = ['bench-n0', 'bench-n1', 'bench-n2', 'bench-n3'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = (n, tag) => Array.from({ length: n }, (_, i) => `b${i}-${tag}.bench.test`);

/** Never spawnSync here: the relay lives in this process and must keep forwarding while children run. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      if (err && !opts.allowFail) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
  });
}

/**
 * A TCP relay to 127.0.0.1:port that holds every chunk `ms` in each direction (order kept), and
 * opens its side 3 × `ms` after the client connected: the node sees a TCP connection over the link
 * once SYN, SYN-ACK and ACK have crossed it (the client may send after the first two).
 */
function relay(port, ms) {
  const server = createServer((client) => {
    // a link forwards packets as they come: Nagle's algorithm here would hold small ones for an ACK
    // that a router in the middle of a real link never waits for
    client.setNoDelay(true);
    const upP = new Promise((resolve) =>
      setTimeout(() => {
        const up = connect(port, '127.0.0.1');
        up.setNoDelay(true);
        pipe(up, () => Promise.resolve(client));
        resolve(up);
      }, 3 * ms),
    );
    // `to()` in the order chunks came: promise callbacks run in the order they were registered
    const pipe = (from, to) => {
      from.on('data', (d) => setTimeout(() => to().then((t) => t.write(d)), ms));
      from.on('end', () => setTimeout(() => to().then((t) => t.end()), ms));
      from.on('error', () => to().then((t) => t.destroy()));
      from.on('close', () => setTimeout(() => to().then((t) => t.destroy()), ms + 5));
    };
    pipe(client, () => upP);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() })),
  );
}

function cleanup(vms) {
  for (const v of vms) {
    bed.destroyContainer(v);
    // the forward too, or the next run with this name finds its reverse_proxy step already done
    rmSync(`/etc/lxc-wizard/forwards/${v}`, { force: true });
    // and its accepted minion key: else the next run with this name finds a key and no private half
    rmSync(join(dir, 'pki', 'minions', v), { force: true });
  }
  const hosts = readFileSync('/etc/hosts', 'utf8').replace(
    /#-- start virt dns [^\n]*bench\.test[^\n]*\n[\s\S]*?#-- end virt dns [^\n]*\n/g,
    '',
  );
  writeFileSync('/etc/hosts', hosts);
}

/** Run `fn` on these containers, cleaning them before and after, whatever happens. */
async function round(vms, fn) {
  cleanup(vms);
  try {
    return await fn();
  } finally {
    cleanup(vms);
  }
}

const entries = (node, vms, base) =>
  [
    `makina-states.cloud.lxc.vms.${node}:`,
    ...vms.map(
      (v, i) => `  ${v}: {profile_type: overlayfs, ip: 10.77.${base}.${10 + i}, ssh_reverse_proxy_port: ${41000 + base * 16 + i}}`,
    ),
  ].join('\n');

/** The bench's lxc-wizard --yes command line. */
const wizardArgs = (pillar, sshConfig) => [
  BIN,
  ...bed.yesArgs(
    { pillar, sshConfig, pubkey: join(dir, 'k.pub'), controller: 'ctl.bench.test', masterPki: join(dir, 'pki'), bootsalt: STAND_IN },
    '--json',
  ),
];

/** lxc-wizard --yes over these VMs (one pillar, one run); wall ms, the JSON result, its log. */
async function wizard(sshConfig, byNode, extra = []) {
  const d = mkdtempSync(join(dir, 'run-'));
  const pillar = join(d, 'p.sls');
  writeFileSync(
    pillar,
    bed.bedDefaults() +
      Object.entries(byNode)
        .map(([n, vms]) => entries(n, vms, NODES.indexOf(n) + 1))
        .join('\n') +
      '\n',
  );
  const t0 = performance.now();
  const wall0 = Date.now();
  const r = await run(process.execPath, [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), ...wizardArgs(pillar, sshConfig), ...extra], {
    env: { ...process.env, XDG_STATE_HOME: join(d, 'state'), HOME: join(d, 'home') },
    allowFail: true,
  });
  const ms = performance.now() - t0;
  const doc = JSON.parse(r.stdout || '{}');
  if (!doc.ok) throw new Error(`run failed: ${r.stdout}\n${r.stderr}`);
  if (process.env.BENCH_VERBOSE) {
    // what the run log does not cover: the process starting (Node, modules, pillar, store) and ending
    const events = readFileSync(doc.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const first = Date.parse(events[0].at);
    const last = Date.parse(events.at(-1).at);
    console.log(`  process: ${first - wall0} ms before the run log's first event, ${wall0 + ms - last} ms after its last`);
  }
  return { ms, doc, pillar, env: { ...process.env, XDG_STATE_HOME: join(d, 'state'), HOME: join(d, 'home') } };
}

/** Remote commands in a run log, per VM and step. */
function roundTrips(logFile) {
  const per = new Map();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.type !== 'command' || e.dryRun) continue;
    if (e.batch && e.batch.index > 0) continue; // a batch is one round trip, logged once per command in it
    const key = `${e.vm ?? '(node)'}\0${e.step ?? '(none)'}`;
    per.set(key, (per.get(key) ?? 0) + 1);
  }
  return per;
}

// The work of the six steps for one VM, by hand, run as ONE ssh session on the node.
const SCRIPT = String.raw`set -e
V=$1; IP=$2; MAC=$3; ORIGIN=$4; BR=$5; GW=$6; KEY=$7; STANDIN=$8; PEM=$9
lxc-copy -n "$ORIGIN" -N "$V" -B overlayfs -s
cfg=/var/lib/lxc/$V/config
sed -i '/^lxc\.net\.0\.link/d' "$cfg"
printf 'lxc.net.0.link = %s\nlxc.net.0.hwaddr = %s\nlxc.net.0.ipv4.address = %s/16\nlxc.net.0.ipv4.gateway = %s\nlxc.start.auto = 1\n' "$BR" "$MAC" "$IP" "$GW" >> "$cfg"
lxc-start -n "$V" -d
lxc-wait -n "$V" -s RUNNING -t 60
a() { lxc-attach -n "$V" --clear-env -- "$@"; }
a sh -c '[ "$(cat /proc/1/comm)" = systemd ] || [ /sbin/init -ef /lib/systemd/systemd ] || exit 0; until [ -S /run/systemd/private ]; do sleep 0.05; done; until systemctl start basic.target; do sleep 0.05; done'
echo "nameserver $GW" | a sh -c 'cat > /etc/resolv.conf'
printf '#-- start lxc dns %s:: DO NOT EDIT --\n%s localhost %s\n#-- end lxc dns %s:: DO NOT EDIT --\n' "$V" "$GW" "$V" "$V" | a sh -c 'cat >> /etc/hosts'
printf '#-- start virt dns %s:: DO NOT EDIT --\n%s %s\n#-- end virt dns %s:: DO NOT EDIT --\n' "$V" "$IP" "$V" "$V" >> /etc/hosts
mkdir -p /etc/lxc-wizard/forwards && printf 'port=40999\nto=%s:22\n' "$IP" > /etc/lxc-wizard/forwards/$V && /usr/local/sbin/lxc-wizard-net ruleset | nft -f -
a sh -c 'mkdir -p /root/.ssh && chmod 700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys' < "$KEY"
a sh -c 'mkdir -p /etc/mastersalt/makina-states && printf "makina-states.cloud.is.vm: true\nmakina-states.cloud.is.lxcvm: true\n" > /etc/mastersalt/makina-states/cloud.yaml && printf "makina-states.nodetypes.lxccontainer: true\n" > /etc/mastersalt/makina-states/nodetypes.yaml'
echo "root:benchpassword" | a chpasswd
a touch /.initialspasses
a sh -c 'mkdir -p /tmp/.lxc-wizard /tmp/.saltcloud && cat > /tmp/.lxc-wizard/boot-salt.sh && chmod 755 /tmp/.lxc-wizard/boot-salt.sh' < "$STANDIN"
if [ -n "$PEM" ]; then a sh -c 'umask 077; cat > /tmp/.saltcloud/minion.pem' < "$PEM"; a sh -c 'cat > /tmp/.saltcloud/minion.pub' < "$PEM.pub"; fi
printf 'id: %s\nmaster: ctl\nmaster_port: 4606\n' "$V" | a sh -c 'cat > /tmp/.saltcloud/minion'
a /tmp/.lxc-wizard/boot-salt.sh -C --from-salt-cloud --mastersalt-minion -b master
a sh -c 'mkdir -p /etc/makina-states && touch /etc/makina-states/lxc-wizard-bootsalt'
a /tmp/.lxc-wizard/boot-salt.sh --initial-highstate
echo 1 | a sh -c 'cat > /etc/makina-states/initial_highstate'
rm -f /etc/lxc-wizard/forwards/$V
`;

/**
 * The baseline: the script over one ssh connection to `alias`. With `key`, it also makes the VM's
 * minion key pair first (RSA 2048, as the tool does), accepts it on the master (pki/minions/VM)
 * and installs it in the VM for the bootstrap, as the tool's spawn and initial_setup do.
 */
async function baseline(sshConfig, alias, vm, i, key = true) {
  const t0 = performance.now();
  const pem = join(dir, `minion-${vm}.pem`);
  if (key) {
    await run('openssl', ['genrsa', '-out', pem, '2048']);
    await run('openssl', ['rsa', '-in', pem, '-pubout', '-out', `${pem}.pub`]);
    await run('cp', [`${pem}.pub`, join(dir, 'pki', 'minions', vm)]);
  }
  await run(
    'ssh',
    [
      '-F',
      sshConfig,
      alias,
      'sh',
      '-s',
      '--',
      vm,
      `10.77.9.${10 + i}`,
      `00:16:3e:09:00:${(16 + i).toString(16)}`,
      bed.ORIGIN,
      bed.BRIDGE,
      bed.NET.gateway,
      join(dir, 'k.pub'),
      STAND_IN,
      key ? pem : '',
    ],
    { input: SCRIPT },
  );
  return performance.now() - t0;
}

/** The machine's CPU time so far (all cores), busy and total, from /proc/stat. */
function cpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + f[4];
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
const busyShare = (a, b) => (b.busy - a.busy) / (b.total - a.total);

/** 3 and 4: 16 VMs on 4 nodes in one run, against the same VMs one after another. */
async function manyNodes(slowConfig) {
  const byNode = Object.fromEntries(NODES.map((n, i) => [n, names(4, `m${i}`)]));
  const all = Object.values(byNode).flat();
  const c0 = cpu();
  const together = await round(all, () => wizard(slowConfig, byNode, ['--concurrency', '4']));
  const c1 = cpu();
  let oneByOne = 0;
  let seqBusy = 0;
  await round(all, async () => {
    for (const [n, vms] of Object.entries(byNode)) {
      const a = cpu();
      const r = await wizard(slowConfig, { [n]: vms }, ['--concurrency', '1']);
      oneByOne += r.ms;
      seqBusy += busyShare(a, cpu()) * r.ms;
    }
  });
  const ratio3 = together.ms / oneByOne;
  console.log(
    `16 VMs on 4 nodes at ${ONE_WAY_MS * 2} ms: one run ${together.ms.toFixed(0)} ms, one after another ${oneByOne.toFixed(0)} ms, ratio ${ratio3.toFixed(2)} (goal <= 0.35) ${ratio3 <= 0.35 ? 'OK' : 'MISSED'}`,
  );
  // The 4 "nodes" are one machine: the work one after another already keeps its cores this busy,
  // so no overlap can finish the whole faster than that share of the time.
  const seq = seqBusy / oneByOne;
  console.log(
    `  CPU busy (all ${cpus().length} cores): ${(busyShare(c0, c1) * 100).toFixed(0)}% in the one run, ${(seq * 100).toFixed(0)}% one after another; the best ratio this machine allows is about ${seq.toFixed(2)}`,
  );
  const conns = together.doc.connections;
  const most = Math.max(...Object.values(conns));
  console.log(`SSH connections per node in that run: ${JSON.stringify(conns)} (goal 1) ${most === 1 ? 'OK' : 'MISSED'}`);
}

const relays = [];
let sshd;
let restoreNet;
let release;
try {
  release = await bed.acquireTestbed();
  restoreNet = bed.hostNetGuard({ bridges: [bed.BRIDGE], vmSuffix: 'bench.test' });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
  execFileSync('mkdir', ['-p', join(dir, 'pki', 'minions')]);
  bed.ensureBridge();
  bed.ensureOrigin();
  sshd = await bed.startSshd(mkdtempSync(join(dir, 'sshd-')), NODES[0]);
  // one relay per node: each node its own endpoint and connection, all reaching this machine's sshd
  const hostKey = readFileSync(sshd.sshConfig.replace(/ssh_config$/, 'hostkey.pub'), 'utf8').split(' ');
  const knownHosts = sshd.sshConfig.replace(/ssh_config$/, 'known_hosts');
  const base = readFileSync(sshd.sshConfig, 'utf8');
  const slowConfig = join(dir, 'ssh_config_50ms');
  writeFileSync(slowConfig, '');
  for (const node of NODES) {
    const r = await relay(sshd.port, ONE_WAY_MS);
    relays.push(r);
    appendFileSync(knownHosts, `[127.0.0.1]:${r.port} ${hostKey[0]} ${hostKey[1]}\n`);
    appendFileSync(slowConfig, base.replace(`Host ${NODES[0]}`, `Host ${node}`).replace(`Port ${sshd.port}`, `Port ${r.port}`));
  }
  // node setup once per node (the run's preflight needs it); its effects are undone at the end
  for (const node of NODES) {
    const d = mkdtempSync(join(dir, 'setup-'));
    writeFileSync(join(d, 'p.sls'), `${bed.bedDefaults()}makina-states.cloud.lxc.vms.${node}: {}\n`);
    await run(
      process.execPath,
      [
        BIN,
        'node',
        'setup',
        node,
        '--pillar',
        join(d, 'p.sls'),
        '--ssh-config',
        slowConfig,
        '--ssh-pubkey',
        join(dir, 'k.pub'),
        '--yes',
        '--env',
        'dev',
      ],
      {
        env: { ...process.env, HOME: join(d, 'home'), XDG_STATE_HOME: join(d, 'state') },
      },
    );
  }

  // BENCH_PARTS=1,2 runs only those parts (while working on one of them)
  const parts = new Set((process.env.BENCH_PARTS ?? '1,2,3').split(','));
  // 1. one VM: loopback, then 50 ms
  for (const [label, cfg] of !parts.has('1')
    ? []
    : [
        ['loopback', sshd.sshConfig],
        [`${ONE_WAY_MS * 2} ms RTT`, slowConfig],
      ]) {
    const script = [];
    const noKey = [];
    const ours = [];
    for (let i = 0; i < REPS + 1; i++) {
      const [v] = names(1, `s${i}`);
      const ms = await round([v], () => baseline(cfg, NODES[0], v, i));
      const [u] = names(1, `k${i}`);
      const msNoKey = await round([u], () => baseline(cfg, NODES[0], u, i, false));
      const [w] = names(1, `w${i}`);
      const r = await round([w], () => wizard(cfg, { [NODES[0]]: [w] }));
      if (process.env.BENCH_VERBOSE) {
        for (const line of readFileSync(r.doc.logFile, 'utf8').split('\n').filter(Boolean)) {
          const e = JSON.parse(line);
          if (e.type === 'command')
            console.log(`  ${e.at.slice(17, 23)} ${e.step ?? '-'} ${e.durationMs}ms ${e.argv.join(' ').slice(0, 90)}`);
          if (e.type === 'step' && e.state !== 'running') console.log(`  ${e.at.slice(17, 23)} STEP ${e.step} ${e.state} ${e.durationMs}`);
        }
      }
      if (process.env.BENCH_VERBOSE)
        console.log(
          label,
          r.doc.vms[0].steps.map((x) => `${x.name}:${x.durationMs}`).join(' '),
          `baseline ${ms.toFixed(0)}, without the key ${msNoKey.toFixed(0)}`,
        );
      // round 0 warms the page cache for both
      if (i > 0) {
        script.push(ms);
        noKey.push(msNoKey);
        ours.push(r.ms);
      }
    }
    const ratio = median(ours) / median(script);
    console.log(
      `one VM, all steps, ${label}: baseline script (one ssh connection) ${median(script).toFixed(0)} ms, lxc-wizard ${median(ours).toFixed(0)} ms (median of ${REPS})`,
    );
    console.log(`  ratio ${ratio.toFixed(2)}${label === 'loopback' ? '' : ` (goal <= 1.25) ${ratio <= 1.25 ? 'OK' : 'MISSED'}`}`);
    // the script as it was before it made the minion key: the tool's work, less one of its parts
    console.log(
      `  against the script without the minion key (${median(noKey).toFixed(0)} ms, less work than the tool does): ${(median(ours) / median(noKey)).toFixed(2)}`,
    );
  }

  // 2. round trips per VM and step: a first run, then a re-run over the same VM
  if (parts.has('2'))
    await round(names(1, 'rt'), async () => {
      const [v] = names(1, 'rt');
      const first = await wizard(slowConfig, { [NODES[0]]: [v] });
      const rt = roundTrips(first.doc.logFile);
      const steps = first.doc.vms[0].steps.map((s) => s.name);
      const per = steps.map((s) => `${s} ${rt.get(`${v}\0${s}`) ?? 0}`);
      const total = [...rt].filter(([k]) => k.startsWith(`${v}\0`)).reduce((a, [, n]) => a + n, 0);
      const node = [...rt].filter(([k]) => !k.startsWith(`${v}\0`)).reduce((a, [, n]) => a + n, 0);
      console.log(`round trips, first run: ${per.join(', ')}; ${total} for the VM, ${node} for the node (facts, once per run)`);
      const worst = Math.max(...steps.filter((s) => s !== 'preflight').map((s) => rt.get(`${v}\0${s}`) ?? 0));
      console.log(`  most in one step: ${worst}`);
      const again = await run(process.execPath, wizardArgs(first.pillar, slowConfig), { env: first.env });
      const doc = JSON.parse(again.stdout);
      const rt2 = roundTrips(doc.logFile);
      const total2 = [...rt2].filter(([k]) => k.startsWith(`${v}\0`)).reduce((a, [, n]) => a + n, 0);
      const states = doc.vms[0].steps.map((s) => s.state);
      if (process.env.BENCH_VERBOSE) console.log([...rt2].map(([k, n]) => `${k.replace('\0', ' ')}: ${n}`).join('; '));
      console.log(
        `  re-run: ${total2} round trips for the VM (goal <= 2) ${total2 <= 2 ? 'OK' : 'MISSED'}; steps ${[...new Set(states)].join('/')}`,
      );
    });

  // 3 and 4. 4 nodes x 4 VMs at 50 ms: one run, against the same VMs one after another
  // (no process.exit here: the finally below must undo what node setup did)
  if (parts.has('3')) await manyNodes(slowConfig);
} finally {
  for (const r of relays) r.close();
  sshd?.stop();
  restoreNet?.();
  bed.removeBridge?.();
  rmSync(dir, { recursive: true, force: true });
  await release?.();
}
