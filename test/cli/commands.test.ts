import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratch, seedText } from '../helpers/pillar.js';

let s: Awaited<ReturnType<typeof scratch>>;
let pillar: string;
beforeEach(async () => {
  s = await scratch();
  pillar = await s.file('lxc.sls', await seedText());
});
afterEach(() => s.cleanup());
const cli = (...args: string[]) => runCli(args, { cwd: s.dir });

describe('validate', () => {
  it("reports the seed's one error with file:line and a hint, and exits 1", async () => {
    const r = await cli('validate', '--pillar', pillar);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${pillar}:27: ip: error[duplicate-ip]: ip 10.5.10.17 of gfoobar2.test.coma is already used by gfoobar3.test.com (line 20) on devhost10.local`,
    );
    expect(r.stdout).toContain('  hint: ');
    expect(r.stderr).toContain('1 error, 1 warning');
  });
  it('prints one JSON document with --json, and exits 0 on warnings only', async () => {
    await writeFile(pillar, 'makina-states.cloud.lxc.vms.cn:\n  a.example.com: {profile_type: dir, profile: small}\n');
    const r = await cli('validate', '--pillar', pillar, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, errors: 0, warnings: 1, findings: [{ code: 'size-ignored', where: { line: 2 } }] });
  });
  it('reports a Jinja file as a finding with its line', async () => {
    await writeFile(pillar, 'a: 1\nb: {{ salt.x() }}\n');
    const r = await cli('validate', '--pillar', pillar);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${pillar}:2: error[jinja]`);
  });
});

describe('list', () => {
  it('shows nodes, VMs, profile names and IPs, pending where not allocated', async () => {
    const r = await cli('list', '--pillar', pillar);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NODE\s+VM\s+PROFILE\s+IP$/);
    expect(r.stdout).toMatch(/devhost10\.local\s+mysupertest3\.foo\.com\s+ms-devhost10-local-medium-lvm\s+10\.5\.0\.2 \(pending\)/);
    expect(r.stdout).toMatch(/gfoobar3\.test\.com\s+ms-devhost10-local-dir\s+10\.5\.10\.17\n/);
    const j = JSON.parse((await cli('list', '--pillar', pillar, '--json')).stdout);
    expect(j.nodes[0].vms).toHaveLength(5);
    expect(j.nodes[0].vms[0]).toEqual({
      name: 'mysupertest3.foo.com',
      profile: 'ms-devhost10-local-medium-lvm',
      profile_type: 'lvm',
      ip: '10.5.0.2',
      ip_source: 'pending',
    });
  });
});

describe('settings', () => {
  it('shows sources and live markers, hides the password, and writes nothing', async () => {
    const r = await cli('settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ip: 10\.5\.10\.16\s+# entry, re-applied each run$/m);
    expect(r.stdout).toMatch(/^password: <hidden>\s+# entry, --show-secrets to reveal$/m);
    expect(r.stdout).not.toMatch(/\bfoobar\b/);
    expect(await readdir(s.dir)).toEqual(['lxc.sls']);
    const j = JSON.parse((await cli('settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar, '--json')).stdout);
    expect(j.settings.password).toBe('<hidden>');
    expect(j.live).toEqual(['gateway', 'ip', 'ssh_reverse_proxy_port']);
    expect(JSON.stringify(j)).not.toMatch(/\bfoobar\b/);
    const shown = JSON.parse(
      (await cli('settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar, '--json', '--show-secrets')).stdout,
    );
    expect(shown.settings.password).toBe('foobar');
  });
  it('shows ssh -p PORT root@NODE as a way in once reverse_proxy has run, and otherwise what makes it work', async () => {
    const before = await cli('settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar);
    expect(before.stdout).toMatch(
      /^# way in: ssh -p \d+ root@devhost10\.local {2}\(not forwarded yet: lxc-wizard --yes --vm gfoobar\.test\.com --only reverse_proxy\)$/m,
    );
    const dir = join(s.dir, 'cloud-controller', 'lxc-wizard', 'ledger');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(join(s.dir, 'cloud-controller'), 0o700);
    await chmod(join(s.dir, 'cloud-controller', 'lxc-wizard'), 0o700);
    const at = new Date().toISOString();
    await writeFile(
      join(dir, 'devhost10.local.json'),
      JSON.stringify({ node: 'devhost10.local', vms: { 'gfoobar.test.com': { reverse_proxy: { state: 'done', at } } } }),
      {
        mode: 0o600,
      },
    );
    const after = JSON.parse((await cli('settings', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar, '--json')).stdout);
    expect(after.forwarded, JSON.stringify(after)).toBe(true);
    expect(after.waysIn[0]).toMatch(/^ssh -p \d+ root@devhost10\.local$/);
  });
  it('shows pending values for an entry nobody allocated yet, and stores nothing', async () => {
    const j = JSON.parse((await cli('settings', 'devhost10.local', 'mysupertest3.foo.com', '--pillar', pillar, '--json')).stdout);
    expect(j.settings.ip).toBe('10.5.0.2');
    expect(j.pending).toEqual(['ip', 'mac', 'password', 'ssh_reverse_proxy_port']);
    expect(await readdir(s.dir)).toEqual(['lxc.sls']);
  });
  it('names the node a VM really is on', async () => {
    const r = await cli('settings', 'other.local', 'gfoobar.test.com', '--pillar', pillar);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hint: it is on devhost10.local');
  });
});

describe('add', () => {
  it('writes the entry, prints the diff, and stores generated values (0600) that settings then shows', async () => {
    const r = await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--profile-type', 'dir');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+  web01.example.com:\n+    profile_type: dir');
    const stateFile = join(s.dir, 'cloud-controller/lxc-wizard/nodes/devhost10.local.json');
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
    const state = JSON.parse(await readFile(stateFile, 'utf8')).vms['web01.example.com'];
    // Sorted order: the still-pending mysupertest3.foo.com keeps 10.5.0.2 for itself.
    expect(state.ip).toBe('10.5.0.3');
    expect(state.mac).toMatch(/^00:16:3e(:[0-9a-f]{2}){3}$/);
    expect(state.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(r.stderr).not.toContain(state.password);
    const j = JSON.parse((await cli('settings', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--json')).stdout);
    expect(j.sources).toMatchObject({ ip: 'stored', mac: 'stored', password: 'stored', ssh_reverse_proxy_port: 'stored' });
    expect(j.settings.mac).toBe(state.mac);
    // Sticky: a second VM does not take the first one's address.
    await cli('add', 'devhost10.local', 'web02.example.com', '--pillar', pillar);
    const j2 = JSON.parse((await cli('settings', 'devhost10.local', 'web02.example.com', '--pillar', pillar, '--json')).stdout);
    expect(j2.settings.ip).toBe('10.5.0.4');
  });
  it('--dry-run prints the diff and touches nothing', async () => {
    const before = await readFile(pillar, 'utf8');
    const r = await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+  web01.example.com: {}');
    expect(await readFile(pillar, 'utf8')).toBe(before);
    expect(await readdir(s.dir)).toEqual(['lxc.sls']);
  });
  it('refuses an existing name, an invalid entry, and bad flags, naming the flag or line; nothing is written', async () => {
    const before = await readFile(pillar, 'utf8');
    const dup = await cli('add', 'devhost10.local', 'gfoobar.test.com', '--pillar', pillar);
    expect([dup.code, dup.stderr]).toEqual([1, expect.stringContaining(`${pillar}:6: VM 'gfoobar.test.com' already exists`)]);
    const ip = await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--ip', '10.5.10.16');
    expect(ip.code).toBe(1);
    expect(ip.stderr).toContain('duplicate-ip');
    const outside = await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--ip', '192.168.1.4');
    expect(outside.stderr).toContain("is outside the node's network 10.5.0.0/16");
    const flag = await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--profile-type', 'zfs');
    expect([flag.code, flag.stderr]).toEqual([2, expect.stringContaining('error: --profile-type: --profile-type must be one of lvm')]);
    const name = await cli('add', 'devhost10.local', 'Web01.example.com', '--pillar', pillar);
    expect([name.code, name.stderr]).toEqual([2, expect.stringContaining('error: VM: VM name')]);
    expect(await readFile(pillar, 'utf8')).toBe(before);
    expect(await readdir(s.dir)).toEqual(['lxc.sls']);
  });
  it('--update changes the given keys only and keeps comments; --backup keeps the old file', async () => {
    const before = await readFile(pillar, 'utf8');
    const r = await cli('add', 'devhost10.local', 'gfoobar3.test.com', '--pillar', pillar, '--update', '--ip', '10.5.10.18', '--backup');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-    ip: 10.5.10.17\n+    ip: 10.5.10.18');
    expect(await readFile(pillar + '.bak', 'utf8')).toBe(before);
    expect((await cli('validate', '--pillar', pillar)).code).toBe(0);
  });
  it('reads the password from a file and stores no generated one', async () => {
    const pw = await s.file('pw', 's3cret-Pass\n');
    await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--password-file', pw);
    expect(await readFile(pillar, 'utf8')).toContain('    password: s3cret-Pass\n');
    const state = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/nodes/devhost10.local.json'), 'utf8'));
    expect(state.vms['web01.example.com'].password).toBeUndefined();
  });
  it('honours --state-dir', async () => {
    await cli('add', 'devhost10.local', 'web01.example.com', '--pillar', pillar, '--state-dir', 'st');
    expect(await readdir(join(s.dir, 'st/lxc-wizard/nodes'))).toEqual(['devhost10.local.json']);
  });
});

describe('arguments', () => {
  it('gives usage errors exit 2 and names the flag', async () => {
    expect(await cli('list')).toMatchObject({ code: 2, stderr: expect.stringContaining('--pillar: no pillar file given') });
    expect(await cli('list', '--pillar', pillar, '--bogus')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--bogus'"),
    });
    expect(await cli('list', '--pillar', pillar, '--dry-run')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--dry-run does not apply to `list`'),
    });
    expect(await cli('settings', 'cn', '--pillar', pillar)).toMatchObject({ code: 2, stderr: expect.stringContaining('missing VM') });
    expect(await cli('lst')).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean `lxc-wizard list`?') });
    expect(await cli('list', '--pillar', join(s.dir, 'nope.sls'))).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('does not exist'),
    });
    expect(await cli('list', '--pillar', pillar, '--env', 'staging')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--env must be prod or dev'),
    });
  });
  it('takes --pillar from LXC_WIZARD_PILLAR', async () => {
    const r = await runCli(['list'], { env: { LXC_WIZARD_PILLAR: pillar }, cwd: s.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gfoobar.test.com');
  });
  it('prints help for the program and per command, and the version', async () => {
    expect((await cli('--help')).stdout).toContain('Commands:\n  add ');
    expect((await cli('add', '--help')).stdout).toContain('--password-file F');
    expect((await cli('help', 'settings')).stdout).toContain('--show-secrets');
    expect((await cli('-V')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
  it('colours errors on a terminal only, never with NO_COLOR or --no-color', async () => {
    const tty = await runCli(['list'], { tty: true });
    expect(tty.stderr).toContain('\u001B[31m');
    expect((await runCli(['list'], { tty: true, env: { NO_COLOR: '1' } })).stderr).not.toContain('\u001B[');
    expect((await runCli(['list', '--no-color'], { tty: true })).stderr).not.toContain('\u001B[');
    expect((await runCli(['list'], { tty: true, env: { TERM: 'dumb' } })).stderr).not.toContain('\u001B[');
  });
});

describe('node setup --dry-run', () => {
  it('--json carries the commands the text prints, as provision does', async () => {
    const p = await s.file('ns.sls', 'makina-states.cloud.lxc.defaults.bridge: lxcwdryrun0\nmakina-states.cloud.lxc.vms.localhost: {}\n');
    const env = { HOME: join(s.dir, 'home'), XDG_STATE_HOME: join(s.dir, 'state'), LXC_WIZARD_INSTANCE: 'lxcw_dryrun' };
    const text = await runCli(['node', 'setup', 'localhost', '--pillar', p, '--yes', '--dry-run'], { cwd: s.dir, env });
    const json = await runCli(['node', 'setup', 'localhost', '--pillar', p, '--yes', '--dry-run', '--json'], { cwd: s.dir, env });
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    const planned = Object.values(doc.commands as Record<string, Record<string, string[]>>).flatMap((steps) => Object.values(steps).flat());
    expect(planned.length).toBeGreaterThan(0);
    for (const c of planned) expect(text.stdout).toContain(c.split('\n')[0]!);
    expect(planned.join('\n')).toContain('lxcwdryrun0');
  });
});
