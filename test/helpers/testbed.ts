import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { netPaths } from '../../src/engine/node-net.js';

/**
 * The real test peers (testbed.md): an OpenSSH sshd on 127.0.0.1 logging in a uid-0 test user with
 * a clean /bin/sh, real LXC containers on a bridge this test creates, and a Debian origin container.
 */
export const BRIDGE = 'lxcwbr0';
export const NET = { network: '10.77.0.0', gateway: '10.77.0.1', prefix: 16 };
export const ORIGIN = 'lxcw-e2e-origin';
const USER = 'lxcwe2e';
const USER_HOME = '/var/lib/lxcw-e2e-home';

const sh = (cmd: string, args: string[], opts: { timeout?: number } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeout ?? 120_000 });
const ok = (cmd: string, args: string[]) => {
  try {
    sh(cmd, args);
    return true;
  } catch {
    return false;
  }
};

/**
 * One test file at a time owns the bed (bridge, origin, /etc/hosts): vitest runs files in
 * parallel, and one file's teardown would pull the bridge from under another.
 */
export async function acquireTestbed(): Promise<() => Promise<void>> {
  const lockfile = (await import('proper-lockfile')).default;
  const path = '/tmp/lxc-wizard-e2e-testbed';
  return lockfile.lock(path, {
    realpath: false,
    stale: 30_000,
    update: 5_000,
    retries: { retries: 1800, factor: 1, minTimeout: 500, maxTimeout: 500 },
  });
}

/** Why the end-to-end suite cannot run here, or undefined. */
export function e2eMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (LXC and sshd need root)';
  for (const bin of ['/usr/sbin/sshd', '/usr/bin/lxc-create', '/usr/sbin/debootstrap', '/usr/bin/ssh-keygen'])
    if (!existsSync(bin)) return `${bin} is missing (bash .ci/run installs it)`;
  for (const t of ['debian', 'busybox'])
    if (!existsSync(`/usr/share/lxc/templates/lxc-${t}`)) return `the LXC ${t} template is missing (package lxc-templates)`;
  if (!ok('ip', ['link', 'show'])) return 'ip (iproute2) does not work';
  return undefined;
}

export function ensureBridge(): void {
  if (!ok('ip', ['link', 'show', BRIDGE])) {
    sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${NET.gateway}/${NET.prefix}`, 'dev', BRIDGE]);
  }
  sh('ip', ['link', 'set', BRIDGE, 'up']);
}

export function removeBridge(): void {
  ok('ip', ['link', 'del', BRIDGE]);
}

/** The Debian origin: made once (about 90 s, debootstrap from Debian's mirror) and reused. */
export function ensureOrigin(): void {
  const info = ok('lxc-info', ['-n', ORIGIN]) ? sh('lxc-info', ['-s', '-H', '-n', ORIGIN]).trim() : '';
  if (info && existsSync(`/var/lib/lxc/${ORIGIN}/rootfs/usr/sbin/chpasswd`)) {
    if (info !== 'STOPPED') sh('lxc-stop', ['-n', ORIGIN, '-k']);
    return;
  }
  if (info) ok('lxc-destroy', ['-f', '-n', ORIGIN]);
  sh('lxc-create', ['-n', ORIGIN, '-t', 'debian', '--', '-r', 'bookworm'], { timeout: 900_000 });
}

export function lxc(vm: string, ...argv: string[]): string {
  return sh('lxc-attach', ['-n', vm, '--clear-env', '--', ...argv]);
}

export function containerNames(): string[] {
  return sh('lxc-ls', ['-1']).split(/\s+/).filter(Boolean);
}

/** Drop the node /etc/hosts blocks a failed run may have left for test VMs (`*.<suffix>`). */
export async function removeHostsBlocks(suffix: string): Promise<void> {
  const text = await readFile('/etc/hosts', 'utf8');
  const esc = suffix.replace(/[.]/g, '\\.');
  const cleaned = text.replace(
    new RegExp(`#-- start virt dns [^\\n]*${esc}:: DO NOT EDIT --\\n[\\s\\S]*?#-- end virt dns [^\\n]*\\n`, 'g'),
    '',
  );
  if (cleaned !== text) await writeFile('/etc/hosts', cleaned);
}

export function destroyContainer(name: string): void {
  ok('lxc-stop', ['-n', name, '-k']);
  ok('lxc-destroy', ['-n', name]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const up = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

export interface Sshd {
  port: number;
  /** the node's address the ssh config names (not loopback when the machine has one) */
  host: string;
  sshConfig: string;
  clientPub: string;
  stop(): void;
}

/**
 * This machine's address that is not loopback (its default route's interface): the test node's
 * sshd listens there too, and its ssh config names it, so every way in goes through the forward as
 * a remote operator's would (the forward does not apply to loopback). Undefined when there is none.
 */
export function nodeAddress(): string | undefined {
  const dev = /\bdev (\S+)/.exec(sh('ip', ['-4', 'route', 'show', 'default']))?.[1];
  if (!dev) return undefined;
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', dev, 'scope', 'global']))?.[1];
}

/**
 * sshd on 127.0.0.1 and the node's own address with its own host key, and an ssh config for
 * lxc-wizard naming node `alias` (at that address when there is one).
 */
export async function startSshd(dir: string, alias: string): Promise<Sshd> {
  // A fixed home: usermod refuses to touch a uid-0 alias while root runs anything at all.
  await mkdir(USER_HOME, { recursive: true });
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client.pub'), 'utf8'), { mode: 0o644 });
  if (!ok('id', [USER])) {
    sh('useradd', ['-o', '-u', '0', '-g', '0', '-M', '-d', USER_HOME, '-s', '/bin/sh', USER]);
    sh('usermod', ['-p', '*', USER]); // not locked, so sshd lets the key in
  }
  const port = await freePort();
  const addr = nodeAddress();
  const cfg = join(dir, 'sshd_config');
  await writeFile(
    cfg,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...(addr ? [`ListenAddress ${addr}`] : []),
      `HostKey ${join(dir, 'hostkey')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'MaxSessions 20',
      `AllowUsers ${USER}`,
    ].join('\n') + '\n',
  );
  await mkdir('/run/sshd', { recursive: true });
  sh('/usr/sbin/sshd', ['-t', '-f', cfg]);
  const proc: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: 'ignore' });
  await waitForPort(port);
  const hostPub = (await readFile(join(dir, 'hostkey.pub'), 'utf8')).split(' ');
  await writeFile(
    join(dir, 'known_hosts'),
    ['127.0.0.1', ...(addr ? [addr] : [])].map((a) => `[${a}]:${port} ${hostPub[0]} ${hostPub[1]}\n`).join(''),
  );
  const sshConfig = join(dir, 'ssh_config');
  await writeFile(
    sshConfig,
    `Host ${alias}\n  HostName ${addr ?? '127.0.0.1'}\n  Port ${port}\n  User ${USER}\n  IdentityFile ${join(dir, 'client')}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n`,
  );
  return {
    port,
    host: addr ?? '127.0.0.1',
    sshConfig,
    clientPub: join(dir, 'client.pub'),
    stop: () => {
      proc.kill('SIGTERM');
    },
  };
}

/**
 * `lxc-wizard --yes` over a pillar on this bed (env dev, a test controller, this sshd's config and
 * client key, a master pki of the test's own), the salt bootstrap stand-in when given; `extra` after.
 * The end-to-end tests and bench/provision run the same command line.
 */
export function yesArgs(
  o: { pillar: string; sshConfig: string; pubkey: string; controller: string; masterPki: string; bootsalt?: string },
  ...extra: string[]
): string[] {
  return [
    '--yes',
    '--pillar',
    o.pillar,
    '--env',
    'dev',
    '--controller',
    o.controller,
    '--ssh-config',
    o.sshConfig,
    '--ssh-pubkey',
    o.pubkey,
    '--master-pki',
    o.masterPki,
    ...(o.bootsalt ? ['--bootsalt-script', o.bootsalt] : []),
    ...extra,
  ];
}

/** The pillar defaults that put VMs on this bed: its bridge, network and origin. */
export function bedDefaults(): string {
  return (
    [
      `makina-states.cloud.lxc.defaults.bridge: ${BRIDGE}`,
      `makina-states.cloud.lxc.defaults.network: ${NET.network}`,
      `makina-states.cloud.lxc.defaults.gateway: ${NET.gateway}`,
      `makina-states.cloud.lxc.defaults.from_container: ${ORIGIN}`,
      `makina-states.cloud.lxc.defaults.dnsservers: [${NET.gateway}]`,
      // the controller as the VMs reach it (this machine, on the bridge): a name they resolve
      `makina-states.cloud.master: ${NET.gateway}`,
    ].join('\n') + '\n'
  );
}

export interface Bed {
  dir: string;
  sshd: Sshd;
  file(name: string, text?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Take the bed for one test file: the lock, a scratch directory, no leftovers of `containers` or of
 * hosts blocks for `*.<hostsSuffix>`, the bridge, the origin and an sshd known as `alias`.
 * close() undoes all of it, also after a failed test.
 */
export async function openBed(o: {
  /** other bridges the tests create (node setup of a new bridge) */
  bridges?: string[];
  containers: string[];
  hostsSuffix: string;
  alias: string;
  scratch: () => Promise<{ dir: string; file: Bed['file']; cleanup: () => Promise<void> }>;
}): Promise<Bed> {
  const release = await acquireTestbed();
  const s = await o.scratch();
  const clean = async () => {
    for (const c of o.containers) destroyContainer(c);
    await removeHostsBlocks(o.hostsSuffix);
  };
  await clean();
  // node setup (--setup-nodes, node setup tests) writes on this machine: undone at close
  const restoreNet = hostNetGuard({ bridges: [BRIDGE, ...(o.bridges ?? [])], vmSuffix: o.hostsSuffix });
  ensureBridge();
  ensureOrigin();
  const sshd = await startSshd(s.dir, o.alias);
  return {
    dir: s.dir,
    sshd,
    file: s.file,
    close: async () => {
      await clean();
      restoreNet();
      sshd.stop();
      removeBridge();
      await s.cleanup();
      await release();
    },
  };
}

/**
 * The test bed's own installation: node setup and the runs of the end-to-end tests keep their
 * node-side state (nftables table, conf directory, script, unit, sysctl file) under this instance
 * name, never under the default one an operator's installation uses on this machine.
 */
export const INSTANCE = 'lxcw_e2e';
export const TEST_NET = netPaths(INSTANCE);
/** The environment every end-to-end command runs with, for this instance. */
export const INSTANCE_ENV = { LXC_WIZARD_INSTANCE: INSTANCE };

/** The makina-states registry node setup writes (its place is makina-states', not ours). */
const REGISTRY_FILES = ['/etc/mastersalt/makina-states/cloud.yaml', '/etc/mastersalt/makina-states/services.yaml'];

/**
 * Undo, at close, what node setup did here under the test bed's instance: its own files and table
 * (whatever an earlier killed run left is removed first), the bridges the test created, the
 * registry files if the test created them, ip_forward if the test turned it on, the login user's
 * authorized_keys. Nothing of another installation is read, set aside or put back.
 */
export function hostNetGuard(o: { bridges: string[]; vmSuffix: string }): () => void {
  const own = () => {
    for (const f of [TEST_NET.script, TEST_NET.unit, TEST_NET.wants, TEST_NET.sysctl, TEST_NET.dir])
      rmSync(f, { recursive: true, force: true });
    ok('nft', ['delete', 'table', 'ip', TEST_NET.table]);
  };
  own();
  const registryBefore = REGISTRY_FILES.filter((f) => existsSync(f));
  const forward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  return () => {
    own();
    for (const b of o.bridges) if (b !== BRIDGE) ok('ip', ['link', 'del', b]);
    for (const f of REGISTRY_FILES) if (!registryBefore.includes(f)) rmSync(f, { force: true });
    if (forward === '0') writeFileSync('/proc/sys/net/ipv4/ip_forward', '0\n');
    rmSync(`${USER_HOME}/.ssh`, { recursive: true, force: true });
  };
}
