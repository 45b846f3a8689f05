import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';

/**
 * `controller setup` against original-system.md §2.1–2.3, for the two nodes of the fixture: every file
 * parsed back by python3-yaml (what salt-cloud reads them with), names and keys checked one by one.
 */
let s: Awaited<ReturnType<typeof scratch>>;
let pillar: string;
let out: string;
beforeEach(async () => {
  s = await scratch();
  pillar = await s.file('lxc.sls', await readFile(new URL('../fixtures/original-keys.sls', import.meta.url), 'utf8'));
  out = join(s.dir, 'etc-salt');
});
afterEach(() => s.cleanup());

const setup = (...extra: string[]) =>
  runCli(['controller', 'setup', '--pillar', pillar, '--controller', 'ctl.example.net', '--out', out, ...extra], { cwd: s.dir });

function pyLoad(text: string): Record<string, Record<string, unknown>> {
  const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], {
    input: text,
    encoding: 'utf8',
  });
  return JSON.parse(json);
}
const load = async (rel: string) => pyLoad(await readFile(join(out, rel), 'utf8'));

const SIZES = ['xxxtrem', 'xxtrem', 'xtrem', 'xxxlarge', 'xxlarge', 'large', 'medium', 'small', 'xsmall', 'xxsmall', 'xxxsmall'];

describe('controller setup', () => {
  it('node and controller know one action, setup: another is a usage error naming it', async () => {
    for (const [command, usage, args] of [
      ['controller', 'lxc-wizard controller setup --pillar FILE', []],
      ['node', 'lxc-wizard node setup CN --pillar FILE --yes', ['cn.example.net']],
    ] as const) {
      const r = await runCli([command, 'teardown', ...args, '--pillar', pillar], { cwd: s.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown action 'teardown' (${command} setup is the one there is)`);
      expect(r.stderr).toContain(usage);
    }
  });
  it("writes one lxc provider per node and the saltify provider, named as the original's", async () => {
    const r = await setup();
    expect(r.code, r.stderr).toBe(0);
    expect(await load('cloud.providers.d/makinastates_lxc.conf')).toEqual({
      'cn1-example-net-lxc': { target: 'cn1.example.net', provider: 'lxc', driver: 'lxc' },
      'ctl-example-net-lxc': { target: 'ctl.example.net', provider: 'lxc', driver: 'lxc' },
    });
    expect(await load('cloud.providers.d/makinastates_saltify.conf')).toEqual({
      makinastates_salty: { provider: 'saltify', driver: 'saltify' },
    });
    const saltify = await load('cloud.profiles.d/makinastates_saltify.conf');
    expect(saltify['ms-salt-minion']).toMatchObject({
      provider: 'makinastates_salty',
      script: '/srv/salt/makina-states/_scripts/boot-salt.sh',
      minion: { master: 'salt-master.example.net', master_port: 4510 },
    });
  });

  it('writes the 26 profiles of each node with the fields of each type (lvm-scratch spelt right)', async () => {
    expect((await setup()).code).toBe(0);
    const profiles = await load('cloud.profiles.d/makinastates_lxc.conf');
    for (const node of ['cn1-example-net', 'ctl-example-net']) {
      const names = Object.keys(profiles).filter((n) => n.startsWith(`ms-${node}-`));
      expect(names).toHaveLength(26);
      expect(names.sort()).toEqual(
        [
          ...SIZES.flatMap((z) => [`ms-${node}-${z}-lvm`, `ms-${node}-${z}-lvm-scratch`]),
          `ms-${node}-dir`,
          `ms-${node}-dir-scratch`,
          `ms-${node}-overlayfs`,
          `ms-${node}-overlayfs-scratch`,
        ].sort(),
      );
      expect(names.some((n) => n.includes('sratch'))).toBe(false);
      const shared = {
        provider: `${node}-lxc`,
        sudo: true,
        script: '/srv/salt/makina-states/_scripts/boot-salt.sh',
        script_args: '-C --from-salt-cloud -no-M --custom -b stable',
      };
      const origin = 'makina-states-precise';
      expect(profiles[`ms-${node}-large-lvm`]).toMatchObject({ ...shared, from_container: origin, backing: 'lvm', size: '25g' });
      expect(profiles[`ms-${node}-xxlarge-lvm`]).toMatchObject({ backing: 'lvm', size: '50g' });
      expect(profiles[`ms-${node}-small-lvm-scratch`]).toMatchObject({ ...shared, image: 'ubuntu', backing: 'lvm', size: '5g' });
      expect(profiles[`ms-${node}-small-lvm-scratch`]).not.toHaveProperty('from_container');
      expect(profiles[`ms-${node}-dir`]).toMatchObject({ ...shared, from_container: origin, backing: 'dir' });
      expect(profiles[`ms-${node}-dir`]).not.toHaveProperty('size');
      expect(profiles[`ms-${node}-dir-scratch`]).toMatchObject({ ...shared, image: 'ubuntu', backing: 'dir' });
      expect(profiles[`ms-${node}-overlayfs`]).toMatchObject({ ...shared, from_container: origin, backing: 'overlayfs', snapshot: true });
      expect(profiles[`ms-${node}-overlayfs-scratch`]).toMatchObject({ ...shared, image: 'ubuntu', backing: 'overlayfs' });
    }
    // the controller's own node attaches its VMs through the bridge gateway
    expect(profiles['ms-cn1-example-net-dir']!.minion).toEqual({ master: 'salt-master.example.net', master_port: 4510 });
    expect(profiles['ms-ctl-example-net-dir']!.minion).toEqual({ master: '10.5.0.1', master_port: 4510 });
  });

  it('maps every VM under its profile with its settings; passwords only with --show-secrets, then 0600', async () => {
    expect((await setup()).code).toBe(0);
    const map = await load('cloud.maps.d/makinastates_lxc.map');
    const entry = (profile: string, vm: string) => {
      const list = map[profile] as unknown as Record<string, Record<string, unknown>>[];
      return list.find((x) => vm in x)![vm]!;
    };
    expect(Object.keys(map).sort()).toEqual([
      'ms-cn1-example-net-dir',
      'ms-cn1-example-net-large-lvm',
      'ms-cn1-example-net-small-lvm',
      'ms-ctl-example-net-overlayfs',
      'ms-salt-minion',
    ]);
    expect(entry('ms-cn1-example-net-large-lvm', 'web.example.com')).toMatchObject({
      ip: '10.5.1.10',
      mac: '00:16:3e:00:00:10',
      bridge: 'lxcbr9',
      gateway: '10.5.0.1',
      dnsservers: ['8.8.8.8', '4.4.4.4', '1.1.1.1'],
      minion: { master: 'salt-master.example.net', master_port: 4510 },
      size: '25g',
      backing: 'lvm',
    });
    expect(entry('ms-cn1-example-net-small-lvm', 'db.example.com')).toMatchObject({
      script_args: '-C --from-salt-cloud --mastersalt-minion --custom -b stable',
      script: '/srv/mastersalt/makina-states/_scripts/boot-salt.sh',
    });
    expect(entry('ms-ctl-example-net-overlayfs', 'local.example.com').minion).toEqual({ master: '10.5.0.1', master_port: 4510 });
    expect(entry('ms-salt-minion', 'cn1.example.net')).toEqual({ ssh_host: 'cn1.example.net', ssh_username: 'root' });
    const text = await readFile(join(out, 'cloud.maps.d/makinastates_lxc.map'), 'utf8');
    expect(text).not.toMatch(/pw-web|s3cret|password/);

    const r = await setup('--show-secrets');
    expect(r.code, r.stderr).toBe(0);
    expect(entry('ms-cn1-example-net-large-lvm', 'web.example.com')).not.toHaveProperty('password');
    const shown = await load('cloud.maps.d/makinastates_lxc.map');
    const list = shown['ms-cn1-example-net-large-lvm'] as unknown as Record<string, Record<string, unknown>>[];
    expect(list[0]!['web.example.com']!.password).toBe('pw-web');
    expect((shown['ms-salt-minion'] as unknown as Record<string, Record<string, unknown>>[])[0]!['cn1.example.net']!.password).toBe(
      's3cret',
    );
    expect((await stat(join(out, 'cloud.maps.d/makinastates_lxc.map'))).mode & 0o777).toBe(0o600);
    // the diff printed never shows a password, even the one written
    expect(r.stdout).not.toMatch(/pw-web|s3cret/);
    expect(r.stdout).toMatch(/\+\s+password: <hidden #[0-9a-f]{6}>/);
  });

  it('is deterministic: a second run writes nothing and prints no diff', async () => {
    expect((await setup()).code).toBe(0);
    const before = await Promise.all(['cloud.providers.d', 'cloud.profiles.d', 'cloud.maps.d'].map((d) => readdir(join(out, d))));
    const mtime = (await stat(join(out, 'cloud.profiles.d/makinastates_lxc.conf'))).mtimeMs;
    const r = await setup();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/^unchanged /gm)).toHaveLength(5);
    expect((await stat(join(out, 'cloud.profiles.d/makinastates_lxc.conf'))).mtimeMs).toBe(mtime);
    expect(await Promise.all(['cloud.providers.d', 'cloud.profiles.d', 'cloud.maps.d'].map((d) => readdir(join(out, d))))).toEqual(before);
  });

  it('--dry-run prints the diff and writes nothing', async () => {
    const r = await setup('--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+++ b/');
    expect(r.stdout).toContain('+cn1-example-net-lxc:');
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toContain('dry run: nothing was written');
  });

  it('keeps the mode of a file it rewrites and keeps a file it did not write as .bak', async () => {
    await mkdir(join(out, 'cloud.providers.d'), { recursive: true });
    const foreign = join(out, 'cloud.providers.d/makinastates_lxc.conf');
    await writeFile(foreign, 'hand-made-lxc:\n  provider: lxc\n  target: old.example.net\n');
    await chmod(foreign, 0o640);
    const r = await setup();
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(`${foreign}.bak`, 'utf8')).toContain('hand-made-lxc');
    expect(r.stderr).toContain(`${foreign}.bak`);
    expect((await stat(foreign)).mode & 0o777).toBe(0o640);
    // a second run: the file is lxc-wizard's now, so no new backup replaces the operator's
    await writeFile(pillar, (await readFile(pillar, 'utf8')).replace('lxcbr9', 'lxcbr8'));
    expect((await setup()).code).toBe(0);
    expect(await readFile(`${foreign}.bak`, 'utf8')).toContain('hand-made-lxc');
  });

  it('refuses a pillar with errors, naming the first', async () => {
    await writeFile(pillar, (await readFile(pillar, 'utf8')).replace('ip: 10.5.1.10', 'ip: 10.5.1.999'));
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lxc\.sls:\d+/);
    expect(r.stderr).toContain('lxc-wizard validate');
    expect(existsSync(out)).toBe(false);
  });

  it('says which VMs are in the map without allocated values', async () => {
    await writeFile(
      pillar,
      `${await readFile(pillar, 'utf8')}makina-states.cloud.lxc.vms.cn1.example.net.new.example.com: {profile_type: dir}\n`,
    );
    const r = await setup();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('new.example.com is in the map without ip, mac: not allocated yet');
    const map = await load('cloud.maps.d/makinastates_lxc.map');
    const list = map['ms-cn1-example-net-dir'] as unknown as Record<string, Record<string, unknown>>[];
    const entry = list.find((x) => 'new.example.com' in x)!['new.example.com']!;
    expect(entry).not.toHaveProperty('ip');
    expect(entry).not.toHaveProperty('mac');
    expect(entry.bridge).toBe('lxcbr9');
  });

  it('validate knows the profiles written under --cloud-dir: a verbatim profile defined there is not unknown', async () => {
    await writeFile(
      pillar,
      `${await readFile(pillar, 'utf8')}makina-states.cloud.lxc.vms.cn1.example.net.odd.example.com: {profile: my-own-profile}\n`,
    );
    const validate = () => runCli(['validate', '--pillar', pillar, '--cloud-dir', out, '--json'], { cwd: s.dir });
    const codes = async () => JSON.parse((await validate()).stdout).findings.map((f: { code: string }) => f.code);
    await mkdir(out, { recursive: true }); // a --cloud-dir that does not exist is refused
    expect(await codes()).toContain('profile-unknown');
    await mkdir(join(out, 'cloud.profiles.d'), { recursive: true });
    await writeFile(join(out, 'cloud.profiles.d/own.conf'), 'my-own-profile:\n  provider: cn1-example-net-lxc\n');
    expect(await codes()).not.toContain('profile-unknown');
  });
});

describe('controller setup --out: a directory another user may have planted things in', () => {
  const asRoot = process.getuid?.() === 0;

  it('refuses a link planted where a file goes: the link target keeps every byte', async () => {
    const target = await s.file('root-owned.conf', 'precious\n');
    await mkdir(join(out, 'cloud.providers.d'), { recursive: true });
    await symlink(target, join(out, 'cloud.providers.d/makinastates_lxc.conf'));
    const r = await setup();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cloud.providers.d/makinastates_lxc.conf is a symbolic link; nothing was written`);
    expect(await readFile(target, 'utf8')).toBe('precious\n');
  });

  it('refuses a linked subdirectory: nothing is written where it points', async () => {
    const elsewhere = join(s.dir, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(out, { recursive: true });
    await symlink(elsewhere, join(out, 'cloud.maps.d'));
    const r = await setup('--show-secrets');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cloud.maps.d is a symbolic link');
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it.runIf(asRoot)("refuses a file or directory another user owns or may write: the passwords never go into another's file", async () => {
    await mkdir(join(out, 'cloud.maps.d'), { recursive: true });
    const map = join(out, 'cloud.maps.d/makinastates_lxc.map');
    await writeFile(map, '');
    execFileSync('chown', ['65534', map]);
    let r = await setup('--show-secrets');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('belongs to uid 65534, not to you');
    expect(await readFile(map, 'utf8')).toBe('');
    execFileSync('chown', ['0', map]);
    await chmod(join(out, 'cloud.maps.d'), 0o777);
    r = await setup('--show-secrets');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is writable by everyone (mode 777)');
    expect(await readFile(map, 'utf8')).toBe('');
    await chmod(join(out, 'cloud.maps.d'), 0o755);
    r = await setup('--show-secrets');
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(map)).mode & 0o777).toBe(0o600);
  });
});
