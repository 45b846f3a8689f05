import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';

/**
 * An existing makina-states pillar means what it meant to the original: the fixture uses every key
 * of issue 8 at once, and each VM's settings are compared with values worked out by hand from
 * original-system.md (§1.2 merge rules, §1.3 globals, §1.4 per-VM keys, §2 profiles, §3.5 ports).
 */
let s: Awaited<ReturnType<typeof scratch>>;
let pillar: string;
beforeEach(async () => {
  s = await scratch();
  pillar = await s.file('lxc.sls', await readFile(new URL('../fixtures/original-keys.sls', import.meta.url), 'utf8'));
});
afterEach(() => s.cleanup());
const settings = async (node: string, vm: string) => {
  const r = await runCli(['settings', node, vm, '--pillar', pillar, '--controller', 'ctl.example.net', '--json', '--show-secrets'], {
    cwd: s.dir,
  });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).settings;
};

// §1.2: a flat list key EXTENDS the default list; §1.3/1.4: the lxc defaults start from the cloud settings.
const common = {
  bridge: 'lxcbr9', // the map form makina-states.cloud.lxc: {defaults: …}
  gateway: '10.5.0.1',
  network: '10.5.0.0',
  netmask: 16,
  dnsservers: ['8.8.8.8', '4.4.4.4', '1.1.1.1'], // makina-states.cloud.lxc.dnsservers, extended
  users: ['root', 'sysadmin', 'ubuntu'], // defaults.users, extended
  ssh_username: 'ubuntu',
  ssh_gateway: 'cn1.example.net',
  ssh_gateway_user: 'admin', // makina-states.cloud.ssh_gateway_user
  ssh_gateway_port: 22,
  ssh_gateway_key: '/root/.ssh/id_dsa',
  master: 'salt-master.example.net', // makina-states.cloud.master
  master_port: 4510, // makina-states.cloud.master_port
  sudo: true,
  autostart: true,
};

describe('a pillar using every key the original read', () => {
  it('web: the default size is defaults.profile (large), at the size lxc_cloud_profiles gives it (25g)', async () => {
    expect(await settings('cn1.example.net', 'web.example.com')).toMatchObject({
      ...common,
      name: 'web.example.com',
      profile: 'ms-cn1-example-net-large-lvm',
      size: '25g',
      profile_type: 'lvm',
      mode: 'salt', // makina-states.cloud.mode
      bootsalt_branch: 'stable', // default_env preprod counts as prod
      script_args: '-C --from-salt-cloud -no-M --custom -b stable', // cloud.bootsalt_args, then -b <branch>
      ssh_reverse_proxy_port: 41002, // third in name order (app, db, web) from 41000
      domains: ['web.example.com'],
    });
  });

  it('db: profile small and mode mastersalt per entry', async () => {
    expect(await settings('cn1.example.net', 'db.example.com')).toMatchObject({
      ...common,
      profile: 'ms-cn1-example-net-small-lvm',
      size: '5g',
      mode: 'mastersalt',
      script_args: '-C --from-salt-cloud --mastersalt-minion --custom -b stable', // cloud.bootsalt_mastersalt_args
      ssh_reverse_proxy_port: 41001,
    });
  });

  it('app: a dir clone has no size part in its profile, and its own branch', async () => {
    const app = await settings('cn1.example.net', 'app.example.com');
    expect(app).toMatchObject({
      ...common,
      profile: 'ms-cn1-example-net-dir',
      bootsalt_branch: 'feature-x',
      script_args: '-C --from-salt-cloud -no-M --custom -b feature-x',
      ssh_reverse_proxy_port: 41000,
      snapshot: false,
    });
    expect(app).not.toHaveProperty('size');
    expect(app).not.toHaveProperty('vgname');
  });

  it('local: a VM on the controller itself reaches its master through the gateway', async () => {
    expect(await settings('ctl.example.net', 'local.example.com')).toMatchObject({
      profile: 'ms-ctl-example-net-overlayfs',
      master: '10.5.0.1',
      snapshot: true,
      ssh_gateway: 'ctl.example.net',
      ssh_reverse_proxy_port: 41000,
    });
  });

  it('validates: no error, and no key left unread', async () => {
    const r = await runCli(['validate', '--pillar', pillar, '--json'], { cwd: s.dir });
    const doc = JSON.parse(r.stdout);
    expect(doc.findings.filter((f: { code: string }) => f.code === 'unknown-setting')).toEqual([]);
    expect(doc.errors).toBe(0);
  });
});

describe('keys the tool does not read, and saltify targets', () => {
  it('warns about every makina-states.cloud key it does not read, naming key and line', async () => {
    await writeFile(
      pillar,
      'makina-states.cloud.lxc.defaults.brige: x\nmakina-states.cloud.lxc: {defaults: {vgnam: x}}\nmakina-states.cloud.foo: 1\nmakina-states.cloud.lxc.vms.cn1.local: {}\n',
    );
    const r = await runCli(['validate', '--pillar', pillar], { cwd: s.dir });
    expect(r.stdout).toContain(`${pillar}:1: makina-states.cloud.lxc.defaults.brige: warning[unknown-setting]`);
    expect(r.stdout).toContain('did you mean defaults.bridge?');
    expect(r.stdout).toContain(`${pillar}:2: makina-states.cloud.lxc: {defaults.vgnam: …}: warning[unknown-setting]`);
    expect(r.stdout).toContain(`${pillar}:3: makina-states.cloud.foo: warning[unknown-setting]`);
  });

  it('refuses a saltify target with both a key and a password, or neither', async () => {
    await writeFile(
      pillar,
      'makina-states.cloud.saltify.targets.a.local: {password: x, ssh_keyfile: /root/.ssh/id_rsa}\nmakina-states.cloud.saltify.targets.b.local: {ssh_username: root}\nmakina-states.cloud.saltify.targets.c.local: {ssh_keyfile: /k}\n',
    );
    const r = await runCli(['validate', '--pillar', pillar], { cwd: s.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the saltify target a.local has both a password and a key (ssh_keyfile)');
    expect(r.stdout).toContain('the saltify target b.local has neither a password nor a key');
    expect(r.stdout).not.toContain('c.local has');
  });

  it('warns about a verbatim profile that no generated profile matches', async () => {
    await writeFile(
      pillar,
      'makina-states.cloud.lxc.vms.cn1.local:\n  a.example.com: {profile: my-custom}\n  b.example.com: {profile: ms-cn1-local-small-lvm}\n',
    );
    const r = await runCli(['validate', '--pillar', pillar], { cwd: s.dir });
    expect(r.stdout).toContain("profile 'my-custom' is not a size name, so it is a salt-cloud profile name used verbatim");
    expect(r.stdout).not.toContain("profile 'ms-cn1-local-small-lvm'");
  });

  it('add writes the key form the file already uses for a new node', async () => {
    await writeFile(pillar, 'makina-states.cloud.lxc.vms.cn1.local:\n  a.example.com: {}\n');
    expect((await runCli(['add', 'cn2.local', 'b.example.com', '--pillar', pillar], { cwd: s.dir })).code).toBe(0);
    expect(await readFile(pillar, 'utf8')).toContain('makina-states.cloud.lxc.vms.cn2.local:\n  b.example.com: {}\n');
    await writeFile(pillar, '');
    await runCli(['add', 'cn2.local', 'b.example.com', '--pillar', pillar], { cwd: s.dir });
    expect(await readFile(pillar, 'utf8')).toBe('makina-states.services.cloud.lxc.targets.cn2.local:\n  b.example.com: {}\n');
  });
});
