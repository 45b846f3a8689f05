#!/usr/bin/env node
// Prints figures, asserts nothing (needs root, LXC and sshd: bash .ci/run installs them).
//  1. one VM end to end (all six steps, node `localhost`) against a shell script that runs the
//     same LXC commands directly, in the same run (goal: <= 1.25x);
//  2. eight VMs in parallel (--concurrency 8) against eight in a row (--concurrency 1) (goal: <= 0.5x);
//  3. SSH connections per compute node per run, over a real sshd (goal: 1).
// Usage: npm run bench:provision
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lxc-wizard-bench-'));
const bedFile = join(dir, 'testbed.mjs');
// The test bed the end-to-end tests use, compiled for this program rather than copied.
await build({
  entryPoints: [`${root}test/helpers/testbed.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bedFile,
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
const REPS = 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
};
const names = (n, tag) => Array.from({ length: n }, (_, i) => `b${i}-${tag}.bench.test`);
function cleanup(vms) {
  for (const v of vms) bed.destroyContainer(v);
  const hosts = readFileSync('/etc/hosts', 'utf8').replace(
    /#-- start virt dns [^\n]*bench\.test[^\n]*\n[\s\S]*?#-- end virt dns [^\n]*\n/g,
    '',
  );
  writeFileSync('/etc/hosts', hosts);
}

function pillarFor(node, vms) {
  return (
    bed.bedDefaults() + [`makina-states.cloud.lxc.vms.${node}:`, ...vms.map((v) => `  ${v}: {profile_type: overlayfs}`)].join('\n') + '\n'
  );
}

/** lxc-wizard --yes over `vms`; returns wall ms and the JSON result. */
function wizard(node, vms, extra = []) {
  const d = mkdtempSync(join(dir, 'run-'));
  writeFileSync(join(d, 'p.sls'), pillarFor(node, vms));
  const t0 = performance.now();
  const r = run(
    process.execPath,
    [
      BIN,
      '--yes',
      '--pillar',
      join(d, 'p.sls'),
      '--env',
      'dev',
      '--controller',
      'ctl.bench.test',
      '--bootsalt-script',
      STAND_IN,
      '--ssh-pubkey',
      join(dir, 'k.pub'),
      '--json',
      ...extra,
    ],
    { env: { ...process.env, XDG_STATE_HOME: join(d, 'state') } },
  );
  const ms = performance.now() - t0;
  const doc = JSON.parse(r.stdout);
  if (!doc.ok) throw new Error(`run failed: ${r.stdout}`);
  return { ms, doc };
}

// The same commands, written by hand: what an operator's script would do.
const SCRIPT = String.raw`set -e
V=$1; IP=$2; MAC=$3; ORIGIN=$4; BR=$5; GW=$6; KEY=$7; STANDIN=$8
lxc-copy -n "$ORIGIN" -N "$V" -B overlayfs -s
cfg=/var/lib/lxc/$V/config
cp -p "$cfg" "$cfg.bak"
sed -i '/^lxc\.net\.0\.link/d' "$cfg"
printf 'lxc.net.0.link = %s\nlxc.net.0.hwaddr = %s\nlxc.net.0.ipv4.address = %s/16\nlxc.net.0.ipv4.gateway = %s\nlxc.start.auto = 1\n' "$BR" "$MAC" "$IP" "$GW" >> "$cfg"
lxc-start -n "$V" -d
lxc-wait -n "$V" -s RUNNING -t 60
a() { lxc-attach -n "$V" --clear-env -- "$@"; }
a sh -c '[ "$(cat /proc/1/comm)" = systemd ] || exit 0; until [ "$(systemctl is-active basic.target 2>/dev/null)" = active ]; do sleep 0.2; done'
echo "nameserver $GW" | a sh -c 'cat > /etc/resolv.conf'
printf '#-- start lxc dns %s:: DO NOT EDIT --\n%s localhost %s\n#-- end lxc dns %s:: DO NOT EDIT --\n' "$V" "$GW" "$V" "$V" | a sh -c 'cat >> /etc/hosts'
printf '#-- start virt dns %s:: DO NOT EDIT --\n%s %s\n#-- end virt dns %s:: DO NOT EDIT --\n' "$V" "$IP" "$V" "$V" >> /etc/hosts
a sh -c 'mkdir -p /root/.ssh && chmod 700 /root/.ssh'
cat "$KEY" | a sh -c 'cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys'
a mkdir -p /etc/mastersalt/makina-states
printf 'makina-states.cloud.is.vm: true\nmakina-states.cloud.is.lxcvm: true\n' | a sh -c 'cat > /etc/mastersalt/makina-states/cloud.yaml'
printf 'makina-states.nodetypes.lxccontainer: true\n' | a sh -c 'cat > /etc/mastersalt/makina-states/nodetypes.yaml'
echo "root:benchpassword" | a chpasswd
a touch /.initialspasses
cat "$STANDIN" | a sh -c 'mkdir -p /tmp/.lxc-wizard && cat > /tmp/.lxc-wizard/boot-salt.sh && chmod 755 /tmp/.lxc-wizard/boot-salt.sh'
printf 'id: %s\nmaster: ctl\nmaster_port: 4606\n' "$V" | a sh -c 'mkdir -p /tmp/.saltcloud && cat > /tmp/.saltcloud/minion'
a /tmp/.lxc-wizard/boot-salt.sh -C --from-salt-cloud --mastersalt-minion -b master
a sh -c 'mkdir -p /etc/makina-states && touch /etc/makina-states/lxc-wizard-bootsalt'
a /tmp/.lxc-wizard/boot-salt.sh --initial-highstate
echo 1 | a sh -c 'cat > /etc/makina-states/initial_highstate'
`;

let sshd;
try {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
  bed.ensureBridge();
  bed.ensureOrigin();

  const script = [];
  const ours = [];
  for (let i = 0; i < REPS + 1; i++) {
    const [v] = names(1, `s${i}`);
    cleanup([v]);
    const t0 = performance.now();
    run('sh', [
      '-c',
      SCRIPT,
      'sh',
      v,
      `10.77.9.${10 + i}`,
      `00:16:3e:09:00:${(16 + i).toString(16)}`,
      bed.ORIGIN,
      bed.BRIDGE,
      bed.NET.gateway,
      join(dir, 'k.pub'),
      STAND_IN,
    ]);
    const ms = performance.now() - t0;
    cleanup([v]);
    const [w] = names(1, `w${i}`);
    cleanup([w]);
    const r = wizard('localhost', [w]);
    cleanup([w]);
    if (i > 0) {
      // round 0 warms the page cache for both
      script.push(ms);
      ours.push(r.ms);
    }
  }
  const ratio1 = median(ours) / median(script);
  console.log(
    `one VM, six steps (overlayfs clone of a Debian origin, node localhost): shell script median ${median(script).toFixed(0)} ms, lxc-wizard median ${median(ours).toFixed(0)} ms over ${REPS} rounds`,
  );
  console.log(`  ratio ${ratio1.toFixed(2)} (goal <= 1.25) ${ratio1 <= 1.25 ? 'OK' : 'MISSED'}`);

  const eight = names(8, 'par');
  cleanup(eight);
  const par = wizard('localhost', eight, ['--concurrency', '8']);
  cleanup(eight);
  const seq = wizard('localhost', eight, ['--concurrency', '1']);
  cleanup(eight);
  const ratio2 = par.ms / seq.ms;
  console.log(
    `eight VMs: in parallel ${par.ms.toFixed(0)} ms, in a row ${seq.ms.toFixed(0)} ms, ratio ${ratio2.toFixed(2)} (goal <= 0.5) ${ratio2 <= 0.5 ? 'OK' : 'MISSED'}`,
  );

  sshd = await bed.startSshd(mkdtempSync(join(dir, 'sshd-')), 'bench-node');
  const three = names(3, 'ssh');
  cleanup(three);
  const overSsh = wizard('bench-node', three, ['--ssh-config', sshd.sshConfig]);
  cleanup(three);
  const conns = overSsh.doc.connections['bench-node'];
  console.log(
    `three VMs over a real sshd: ${overSsh.ms.toFixed(0)} ms, SSH connections to the node: ${conns} (goal 1) ${conns === 1 ? 'OK' : 'MISSED'}`,
  );
} finally {
  sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
}
