import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, readlink, stat, symlink, link, utimes, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';

/**
 * Issue 7, every reproduction as a test: generated values are never lost, only the given pillar
 * file is ever written, entries are never dropped, and what an operator can fix is an error with a
 * hint and the documented exit code, never a stack. Run in-process through the CLI's main().
 */
let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => {
  s = await scratch();
});
afterEach(() => s.cleanup());
const cli = (...args: string[]) => runCli(args, { cwd: s.dir });
const root = process.getuid?.() === 0;
const noStack = (r: { stderr: string }) => {
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
};
const stored = async (node: string) =>
  JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/nodes', `${node}.json`), 'utf8')).vms;
const settings = async (pillar: string, node: string, vm: string) =>
  JSON.parse((await cli('settings', node, vm, '--pillar', pillar, '--json', '--show-secrets')).stdout);

describe('generated values are never lost', () => {
  it("two pillars in one directory share the store: an add to one keeps the other's values and takes none of them", async () => {
    const a = await s.file('a.sls', '');
    const b = await s.file('b.sls', '');
    expect((await cli('add', 'n1.local', 'a1.example.com', '--pillar', a)).code).toBe(0);
    const before = (await settings(a, 'n1.local', 'a1.example.com')).settings;
    expect((await cli('add', 'n1.local', 'b1.example.com', '--pillar', b)).code).toBe(0);
    const after = (await settings(a, 'n1.local', 'a1.example.com')).settings;
    const b1 = (await settings(b, 'n1.local', 'b1.example.com')).settings;
    expect(after).toEqual(before);
    expect((await settings(a, 'n1.local', 'a1.example.com')).pending).toEqual([]);
    expect(b1.ip).not.toBe(before.ip);
    expect(b1.ssh_reverse_proxy_port).not.toBe(before.ssh_reverse_proxy_port);
    expect(b1.mac).not.toBe(before.mac);
  });

  it('an entry commented out keeps its values while another VM is added; put back, it has them again', async () => {
    const p = await s.file('p.sls', '');
    await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
    const web = (await settings(p, 'n1.local', 'web.example.com')).settings;
    const text = await readFile(p, 'utf8');
    await writeFile(
      p,
      text
        .replace(/^(\s+web\.example\.com:.*)$/m, '#$1')
        .replace('makina-states.services.cloud.lxc.targets.n1.local:', 'makina-states.services.cloud.lxc.targets.n1.local: {}\n#'),
    );
    expect((await cli('add', 'n1.local', 'db.example.com', '--pillar', p)).code).toBe(0);
    const db = (await settings(p, 'n1.local', 'db.example.com')).settings;
    expect(db.ip).not.toBe(web.ip);
    expect((await stored('n1.local'))['web.example.com']).toMatchObject({ ip: web.ip, password: web.password, mac: web.mac });
    // validate says so, with the command that would release them
    const v = await cli('validate', '--pillar', p);
    expect(v.stdout).toContain('info[stored-unused]');
    expect(v.stdout).toContain(`lxc-wizard forget n1.local web.example.com --pillar ${p}`);
    await writeFile(p, `${await readFile(p, 'utf8')}  web.example.com: {}\n`);
    expect((await settings(p, 'n1.local', 'web.example.com')).settings).toMatchObject({ ip: web.ip, password: web.password, mac: web.mac });
  });

  it('moving an entry to the other key form keeps its values; a renamed node key leaves them stored and reported', async () => {
    const p = await s.file('p.sls', '');
    await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
    const web = (await settings(p, 'n1.local', 'web.example.com')).settings;
    await writeFile(p, 'makina-states.cloud.lxc.vms.n1.local:\n  web.example.com: {}\n');
    expect((await settings(p, 'n1.local', 'web.example.com')).settings).toMatchObject({ ip: web.ip, password: web.password });
    await writeFile(p, 'makina-states.cloud.lxc.vms.n1.example.net:\n  web.example.com: {}\n');
    expect((await stored('n1.local'))['web.example.com'].password).toBe(web.password);
    expect((await cli('validate', '--pillar', p)).stdout).toContain('for web.example.com on n1.local, which no pillar given here has');
  });

  it('forget releases only what no entry uses, says what, and asks first unless --yes', async () => {
    const p = await s.file('p.sls', '');
    await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
    const r0 = await cli('forget', 'n1.local', 'web.example.com', '--pillar', p, '--yes');
    expect(r0.stderr).toContain('nothing to release');
    await writeFile(p, 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    const noTty = await cli('forget', 'n1.local', 'web.example.com', '--pillar', p);
    expect(noTty.code).toBe(2);
    const r = await cli('forget', 'n1.local', 'web.example.com', '--pillar', p, '--yes');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /released ip 10\.5\.0\.2, mac 00:16:3e:[0-9a-f:]+, password \(hidden\), ssh_reverse_proxy_port 40000 of web\.example\.com on n1\.local/,
    );
    expect(await stored('n1.local')).toEqual({});
  });

  it('forget through another pillar of the directory refuses while the pillar that allocated the values still lists the VM', async () => {
    const a = await s.file('a.sls', '');
    const b = await s.file('b.sls', '');
    await cli('add', 'n1.local', 'a1.example.com', '--pillar', a);
    const before = await stored('n1.local');
    const r = await cli('forget', 'n1.local', 'a1.example.com', '--pillar', b, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${a} still lists a1.example.com on n1.local (line 2), and it allocated these values`);
    expect(r.stderr).toContain('nothing was released');
    expect(r.stderr).toContain('--force');
    noStack(r);
    expect(await stored('n1.local')).toEqual(before);
    // validate's hint says so
    expect((await cli('validate', '--pillar', b)).stdout).toContain(
      `(refused while ${a} lists a1.example.com; --force releases them anyway)`,
    );
    // the entry gone from a.sls: released as before; or --force while it is there
    const forced = await cli('forget', 'n1.local', 'a1.example.com', '--pillar', b, '--yes', '--force');
    expect(forced.code).toBe(0);
    expect(await stored('n1.local')).toEqual({});
  });

  it('a pillar write that fails (ENOSPC) fails before anything is allocated: no byte changed anywhere', async () => {
    if (!root) return;
    const dir = join(s.dir, 'full');
    await mkdir(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    try {
      const p = join(dir, 'p.sls');
      // 40 KB of comments: the lock fits beside it, a second copy (the new content) does not.
      const text = `# ${'x'.repeat(78)}\n`.repeat(500) + 'makina-states.cloud.lxc.vms.n1.local: {}\n';
      await writeFile(p, text);
      const r = await cli('add', 'n1.local', 'web.example.com', '--pillar', p, '--state-dir', join(s.dir, 'state'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot write ${p}: no space left on the device`);
      expect(r.stderr).toContain('hint: free some space');
      expect(r.stderr).not.toContain('nothing was written');
      noStack(r);
      expect(await readdir(s.dir)).not.toContain('state');
      expect(await readFile(p, 'utf8')).toBe(text);
      expect((await readdir(dir)).sort()).toEqual(['p.sls']);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a pillar directory that cannot be written is refused before anything is allocated (EPERM, EROFS)', async () => {
    if (!root) return;
    const dir = join(s.dir, 'ro');
    await mkdir(dir);
    const p = join(dir, 'p.sls');
    await writeFile(p, 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    execFileSync('chattr', ['+i', dir]);
    try {
      const r = await cli('add', 'n1.local', 'web.example.com', '--pillar', p, '--state-dir', join(s.dir, 'state'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('operation not permitted');
      expect(r.stderr).toContain('hint: check the permissions and attributes');
      noStack(r);
    } finally {
      execFileSync('chattr', ['-i', dir]);
    }
    const ro = join(s.dir, 'rofs');
    await mkdir(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', ro]);
    try {
      await writeFile(join(ro, 'p.sls'), 'makina-states.cloud.lxc.vms.n1.local: {}\n');
      execFileSync('mount', ['-o', 'remount,ro', ro]);
      const r = await cli('add', 'n1.local', 'web.example.com', '--pillar', join(ro, 'p.sls'), '--state-dir', join(s.dir, 'state'));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the file system is read-only');
      noStack(r);
      // the state directory read-only too: the same kind of answer
      const ok = await s.file('ok.sls', 'makina-states.cloud.lxc.vms.n1.local: {}\n');
      const r2 = await cli('add', 'n1.local', 'web.example.com', '--pillar', ok, '--state-dir', join(ro, 'state'));
      expect(r2.code).toBe(1);
      expect(r2.stderr).toContain(`cannot create the state directory ${join(ro, 'state')}: the file system is read-only`);
      expect(r2.stderr).toContain('the file system is read-only');
      noStack(r2);
      expect(await readFile(ok, 'utf8')).toBe('makina-states.cloud.lxc.vms.n1.local: {}\n');
    } finally {
      execFileSync('umount', [ro]);
    }
    expect(await readFile(p, 'utf8')).toBe('makina-states.cloud.lxc.vms.n1.local: {}\n');
    expect(await readdir(join(s.dir, 'state')).catch(() => [])).toEqual([]);
  });

  it('the store is forced to 0600 files and 0700 directories, and refuses one others could write or own', async () => {
    const p = await s.file('p.sls', '');
    await cli('add', 'n1.local', 'a.example.com', '--pillar', p);
    const nodes = join(s.dir, 'cloud-controller/lxc-wizard/nodes');
    await chmod(join(nodes, 'n1.local.json'), 0o644);
    await chmod(nodes, 0o755);
    await cli('add', 'n1.local', 'b.example.com', '--pillar', p);
    expect((await stat(join(nodes, 'n1.local.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(nodes)).mode & 0o777).toBe(0o700);
    await chmod(join(nodes, 'n1.local.json'), 0o662);
    const r = await cli('settings', 'n1.local', 'a.example.com', '--pillar', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is writable by everyone (mode 662)');
    noStack(r);
    await chmod(join(nodes, 'n1.local.json'), 0o600);
    if (root) {
      execFileSync('chown', ['65534', join(nodes, 'n1.local.json')]);
      const r2 = await cli('settings', 'n1.local', 'a.example.com', '--pillar', p);
      expect(r2.stderr).toContain('belongs to uid 65534, not to you (uid 0)');
      expect(r2.code).toBe(1);
    }
  });

  it('store values are type-checked when read; a stray file is ignored, a store file that is a directory is refused', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n');
    const nodes = join(s.dir, 'cloud-controller/lxc-wizard/nodes');
    await mkdir(nodes, { recursive: true, mode: 0o700 });
    await chmod(join(s.dir, 'cloud-controller/lxc-wizard'), 0o700);
    await writeFile(join(nodes, 'notes.txt'), 'operator notes\n');
    expect((await cli('list', '--pillar', p)).code).toBe(0);
    await writeFile(
      join(nodes, 'n1.local.json'),
      JSON.stringify({ node: 'n1.local', vms: { 'a.example.com': { ip: '10.5.0.2; rm -rf /' } } }),
      { mode: 0o600 },
    );
    const r = await cli('list', '--pillar', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds an ip for a.example.com that is not an IPv4 address');
    noStack(r);
    await execFileSync('rm', [join(nodes, 'n1.local.json')]);
    await mkdir(join(nodes, 'n1.local.json'));
    const r2 = await cli('list', '--pillar', p);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('is not a regular file');
    noStack(r2);
  });
});

describe('only the file given is written, and only if it is a pillar', () => {
  const P = 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n';

  it('a pillar given as a symbolic link: the target is edited in place, the link stays, lock and store follow the target', async () => {
    await mkdir(join(s.dir, 'real'));
    const target = await s.file('real/lxc.sls', P);
    const linkPath = join(s.dir, 'lxc.sls');
    await symlink('real/lxc.sls', linkPath);
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', linkPath);
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(linkPath)).isSymbolicLink()).toBe(true);
    expect(await readlink(linkPath)).toBe('real/lxc.sls');
    expect(await readFile(target, 'utf8')).toContain('  b.example.com: {}');
    expect((await readdir(join(s.dir, 'real'))).sort()).toEqual(['cloud-controller', 'lxc.sls']);
    expect(await readdir(s.dir)).not.toContain('cloud-controller');
  });

  it('a file with several hard links is refused, never split', async () => {
    const p = await s.file('p.sls', P);
    await link(p, join(s.dir, 'other.sls'));
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('has 2 hard links; replacing it would split them');
    expect(await readFile(p, 'utf8')).toBe(P);
    expect((await stat(p)).nlink).toBe(2);
    expect(await readdir(s.dir)).not.toContain('cloud-controller');
  });

  it('anything but a regular file is refused before it is read: a device, a FIFO (no hang), a directory', async () => {
    const fifo = join(s.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: [string, string][] = [
      [fifo, 'a FIFO (named pipe)'],
      [s.dir, 'a directory'],
    ];
    if (root) {
      const dev = join(s.dir, 'null');
      execFileSync('mknod', [dev, 'c', '1', '3']);
      cases.push([dev, 'a character device'], ['/dev/zero', 'a character device']);
    }
    for (const [path, kind] of cases) {
      const t0 = Date.now();
      const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', path);
      expect(r.code, path).toBe(2);
      expect(r.stderr).toContain(`is ${kind}, not a regular file`);
      expect(Date.now() - t0).toBeLessThan(5000);
      noStack(r);
    }
    if (root) expect((await lstat(join(s.dir, 'null'))).isCharacterDevice()).toBe(true);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('a file larger than a pillar can be is refused before it is read', async () => {
    const big = join(s.dir, 'big.sls');
    execFileSync('truncate', ['-s', '65M', big]);
    const r = await cli('validate', '--pillar', big);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is 68157440 bytes, more than the 67108864 a pillar file may hold/);
  });

  it('a YAML mapping that is not a pillar (/etc/shadow) is not edited unless --force-pillar', async () => {
    const shadow = await s.file('shadow', 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', shadow);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds no makina-states.* key, so it does not look like a makina-states pillar');
    expect(r.stderr).toContain('--force-pillar');
    expect(await readFile(shadow, 'utf8')).toBe('root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n');
    const forced = await s.file('notes.sls', 'other: 1\n');
    expect((await cli('add', 'n1.local', 'b.example.com', '--pillar', forced, '--force-pillar')).code).toBe(0);
    // an empty file, or a .sls with comments only, is a new pillar (the demo starts from one)
    for (const text of ['', '# demo pillar\n', '---\n# nothing yet\n']) {
      const fresh = await s.file(`fresh${text.length}.sls`, text);
      const r = await cli('add', 'n1.local', 'c.example.com', '--pillar', fresh);
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(fresh, 'utf8')).toContain('c.example.com');
    }
    // but comments alone do not make any file a pillar: Debian's /etc/hosts.allow is only comments
    const allow = await s.file('hosts.allow', '# /etc/hosts.allow: list of hosts that are allowed to access the system.\n#\n');
    expect((await cli('add', 'n1.local', 'c.example.com', '--pillar', allow)).code).toBe(2);
    expect(await readFile(allow, 'utf8')).not.toContain('c.example.com');
  });

  it('--backup never follows a planted FILE.bak link', async () => {
    const p = await s.file('p.sls', P);
    const victim = await s.file('victim', 'precious\n');
    await symlink(victim, `${p}.bak`);
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', p, '--backup');
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect((await lstat(`${p}.bak`)).isFile()).toBe(true);
    expect(await readFile(`${p}.bak`, 'utf8')).toBe(P);
  });

  it('destroy checks the VM name before it reaches a path: ../../etc/passwd is refused, nothing removed', async () => {
    const p = await s.file('p.sls', P);
    for (const vm of ['../../../../etc/passwd', 'a.example.com/../../x', '.']) {
      const r = await cli('destroy', vm, '--pillar', p, '--node', 'localhost', '--yes');
      expect(r.code, vm).toBe(2);
      expect(r.stderr).toContain("error: VM: VM name '");
      noStack(r);
    }
    const r = await cli('destroy', 'a.example.com', '--pillar', p, '--node', '../../x', '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compute node id '../../x'");
  });

  it('bytes that are not UTF-8 are refused, never rewritten; the same for --password-file', async () => {
    const bytes = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\n' + P)]);
    const p = join(s.dir, 'latin1.sls');
    await writeFile(p, bytes);
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid UTF-8 (byte 5, line 1)');
    expect(await readFile(p)).toEqual(bytes);
    const ok = await s.file('ok.sls', P);
    const pw = join(s.dir, 'pw');
    await writeFile(pw, Buffer.from([0x70, 0x77, 0xff, 0x0a]));
    const r2 = await cli('add', 'n1.local', 'b.example.com', '--pillar', ok, '--password-file', pw);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('is not valid UTF-8');
    expect(await readFile(ok, 'utf8')).toBe(P);
  });

  it('keeps the mode, owner, extended attributes and ACLs of the pillar', async () => {
    const p = await s.file('p.sls', P);
    await chmod(p, 0o640);
    execFileSync('setfattr', ['-n', 'user.origin', '-v', 'salt-master', p]);
    execFileSync('setfacl', ['-m', 'u:nobody:r', p]);
    expect((await cli('add', 'n1.local', 'b.example.com', '--pillar', p)).code).toBe(0);
    expect(execFileSync('getfattr', ['--only-values', '-n', 'user.origin', p], { encoding: 'utf8' })).toBe('salt-master');
    expect(execFileSync('getfacl', ['-c', p], { encoding: 'utf8' })).toContain('user:nobody:r--');
    expect((await stat(p)).mode & 0o777).toBe(0o640);
  });
});

describe('entries are never dropped', () => {
  it('a node whose value is an alias, a list or a scalar is not edited: its VMs stay', async () => {
    const shapes = {
      alias: 'base: &vms\n  a.example.com: {}\nmakina-states.cloud.lxc.vms.n1.local: *vms\n',
      list: 'makina-states.cloud.lxc.vms.n1.local:\n  - a.example.com\n',
      scalar: 'makina-states.cloud.lxc.vms.n1.local: a.example.com\n',
    };
    for (const [shape, text] of Object.entries(shapes)) {
      const p = await s.file(`${shape}.sls`, text);
      const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', p);
      expect(r.code, shape).toBe(1);
      noStack(r);
      expect(await readFile(p, 'utf8')).toBe(text);
    }
    const aliased = await cli('add', 'n1.local', 'b.example.com', '--pillar', join(s.dir, 'alias.sls'));
    expect(aliased.stderr).toContain('the VMs of n1.local are an alias (*vms), shared with another key');
    expect((await cli('add', 'n1.local', 'b.example.com', '--pillar', join(s.dir, 'list.sls'))).stderr).toContain(
      'is a list, not a mapping of VMs',
    );
  });

  it('VM entries written as aliases and merges are read as Salt reads them; --update on them is refused', async () => {
    const text = [
      'base: &base {profile_type: dir, mode: salt}',
      'makina-states.cloud.lxc.vms.n1.local:',
      '  a.example.com: *base',
      '  b.example.com:',
      '    <<: *base',
      '    mode: mastersalt',
      '',
    ].join('\n');
    const p = await s.file('p.sls', text);
    const a = await settings(p, 'n1.local', 'a.example.com');
    const b = await settings(p, 'n1.local', 'b.example.com');
    expect(a.settings).toMatchObject({ profile_type: 'dir', mode: 'salt' });
    expect(b.settings).toMatchObject({ profile_type: 'dir', mode: 'mastersalt' });
    for (const vm of ['a.example.com', 'b.example.com']) {
      const r = await cli('add', 'n1.local', vm, '--pillar', p, '--update', '--mode', 'salt');
      expect(r.code, vm).toBe(1);
      expect(r.stderr).toMatch(/is an alias|merges another mapping/);
      noStack(r);
    }
    expect(await readFile(p, 'utf8')).toBe(text);
    // a new entry beside them is fine, and they read the same afterwards
    expect((await cli('add', 'n1.local', 'c.example.com', '--pillar', p)).code).toBe(0);
    expect((await settings(p, 'n1.local', 'a.example.com')).settings).toMatchObject({ profile_type: 'dir', mode: 'salt' });
  });

  it('CR-only line endings are refused with the line, never read as one comment', async () => {
    const text = '# fleet\rmakina-states.cloud.lxc.vms.n1.local:\r  a.example.com: {}\r';
    const p = await s.file('p.sls', text);
    const r = await cli('add', 'n1.local', 'b.example.com', '--pillar', p);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CR (old Mac) line endings');
    expect(await readFile(p, 'utf8')).toBe(text);
    expect((await cli('validate', '--pillar', p)).stdout).toContain('error[line-endings]');
  });
});

describe('no crash, no stack, no escape codes', () => {
  it('keys that name Object.prototype members are ordinary bad values, in every command', async () => {
    for (const v of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const p = await s.file(
        `${v}.sls`,
        `makina-states.cloud.lxc.defaults.${v}: 1\nmakina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {profile_type: ${v}, ${v}: 1}\n`,
      );
      for (const args of [['validate'], ['list'], ['settings', 'n1.local', 'a.example.com'], ['add', 'n1.local', 'b.example.com']]) {
        const r = await cli(...args, '--pillar', p);
        noStack(r);
        expect([0, 1], `${v} ${args[0]}`).toContain(r.code);
      }
      expect((await cli('validate', '--pillar', p)).stdout).toContain(`profile_type must be one of lvm`);
    }
  });

  it('a 253-character node id, an alias bomb, a lock that is a plain file: errors with hints', async () => {
    const label = 'a'.repeat(63);
    const node = `${label}.${label}.${label}.${'b'.repeat(61)}`;
    expect(node).toHaveLength(253);
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    const r = await cli('add', node, 'web.example.com', '--pillar', p);
    expect(r.code, r.stderr).toBe(0);
    expect((await settings(p, node, 'web.example.com')).pending).toEqual([]);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const b = await s.file('bomb.sls', bomb.join('\n') + '\n');
    const v = await cli('validate', '--pillar', b);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('error[alias-bomb]');
    const l = await s.file('l.sls', 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    await writeFile(`${l}.lock`, 'not a lock\n');
    const r2 = await cli('add', 'n1.local', 'web.example.com', '--pillar', l);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`${l}.lock is a regular file, not a lock lxc-wizard made`);
    expect(r2.stderr).toContain(`hint: if no other program uses it, remove it (rm ${l}.lock)`);
  });

  it('a lock with a future mtime, or held by a stopped process, is reported at once with its holder; a dry run takes no lock', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    const lock = `${p}.lock`;
    await mkdir(lock);
    await writeFile(
      join(lock, 'owner.json'),
      JSON.stringify({
        pid: process.pid,
        host: execFileSync('hostname', { encoding: 'utf8' }).trim(),
        command: 'lxc-wizard add x',
        since: '2026-11-25T10:00:00Z',
      }),
    );
    const future = new Date(Date.now() + 3600_000);
    await utimes(lock, future, future);
    let t0 = Date.now();
    const r = await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /was last refreshed \d+ s in the future \(held by pid \d+ on \S+ \(`lxc-wizard add x`\) since 2026-11-25T10:00:00Z\)/,
    );
    const past = new Date(Date.now() - 3600_000);
    await utimes(lock, past, past);
    t0 = Date.now();
    const r2 = await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r2.stderr).toContain(`which is alive but stopped refreshing it`);
    // the dry run needs neither the lock nor write access
    const dry = await cli('add', 'n1.local', 'web.example.com', '--pillar', p, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+  web.example.com: {}');
  });

  it('names and values from a pillar are printed with control characters and bidi overrides escaped', async () => {
    const p = await s.file('p.sls', '"makina-states.cloud.lxc.vms.n1\\e]0;pwned\\a\\e[2J":\n  "a\\u202eexample.com": {}\n');
    for (const args of [['list'], ['validate'], ['list', '--json'], ['validate', '--json']]) {
      const r = await cli(...args, '--pillar', p);
      // eslint-disable-next-line no-control-regex
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(/[\u001b\u0007\u202e]/);
    }
    expect((await cli('list', '--pillar', p)).stdout).toContain('n1\\x1b]0;pwned\\x07\\x1b[2J');
  });

  it('secrets: the diff masks every password, validate never echoes one, a readable pillar with a password is warned about', async () => {
    const p = await s.file(
      'p.sls',
      'makina-states.cloud.lxc.vms.n1.local:\n  old.example.com: {password: neighbour-secret, ssh_gateway_password: gw-secret}\n',
    );
    const pw = await s.file('pw', 'hunter2-hunter2\n');
    await chmod(p, 0o644);
    const r = await cli('add', 'n1.local', 'new.example.com', '--pillar', p, '--password-file', pw);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/hunter2|neighbour-secret|gw-secret/);
    expect(r.stdout).toMatch(/\+ {4}password: <hidden #[0-9a-f]{6}>/);
    expect(r.stdout).toMatch(/ {2}old\.example\.com: \{password: <hidden #[0-9a-f]{6}>, ssh_gateway_password: <hidden #[0-9a-f]{6}>\}/);
    expect(r.stderr).toContain('is readable by everyone (mode 644) and now holds a password');
    const v = await s.file('v.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {password: 123456789}\n');
    const out = await cli('validate', '--pillar', v, '--json');
    expect(out.stdout).toContain('password must be a string, not a number');
    expect(out.stdout).not.toContain('123456789');
  });

  it('network defaults are checked, and add allocates nothing from a fallback when they are broken', async () => {
    for (const [key, value, msg] of [
      ['netmask', '31', 'has a netmask of /31: it must be from /8 to /30'],
      ['netmask', '7', 'has a netmask of /7'],
      ['gateway', '10.6.0.1', 'has a gateway outside the network'],
      ['network', '10.5.0.7', 'is not a network address'],
    ]) {
      const p = await s.file(
        `${key}${value}.sls`,
        `makina-states.cloud.lxc.defaults.${key}: ${value}\nmakina-states.cloud.lxc.vms.n1.local: {}\n`,
      );
      const v = await cli('validate', '--pillar', p);
      expect(v.code).toBe(1);
      expect(v.stdout).toContain(msg!);
      const a = await cli('add', 'n1.local', 'web.example.com', '--pillar', p);
      expect(a.code).toBe(1);
      expect(a.stderr).toContain('error[bad-network]');
      expect(await readdir(s.dir)).not.toContain('cloud-controller');
    }
  });

  it('usage mistakes are usage errors (exit 2) that name the flag', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n');
    const cases: [string[], string][] = [
      [['list', '--pillar', p, '--pillar', p], '--pillar is given more than once'],
      [['--yes', '--pillar', p, '--only', ''], '--only has an empty step name'],
      [['--yes', '--pillar', p, '--from', 'spawn,grains'], '--from takes one step, not 2'],
      [['--yes', '--pillar', p, '--concurrency', '0x4'], "--concurrency must be a whole number from 1 to 64, not '0x4'"],
      [['--yes', '--pillar', p, '--ssh-config', join(s.dir, 'nope')], '--ssh-config'],
      [['list', '--pillar', p, '--controller', 'bad name;'], "--controller 'bad name;'"],
      [['list', '--pillar', p, '--state-dir', ''], '--state-dir is empty'],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      noStack(r);
    }
  });

  it('"VM not found" exits 1 everywhere, as documented', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n');
    for (const args of [
      ['settings', 'n1.local', 'nope.example.com', '--pillar', p],
      ['destroy', 'nope.example.com', '--pillar', p, '--yes'],
      ['--yes', '--pillar', p, '--vm', 'nope.example.com'],
      ['forget', 'n1.local', 'nope.example.com', '--pillar', p, '--yes'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      noStack(r);
    }
  });

  it('a provisioning --dry-run writes nothing: no log, no store, no ledger', async () => {
    const p = await s.file(
      'p.sls',
      'makina-states.cloud.lxc.vms.localhost:\n  a.example.com: {profile_type: dir-scratch, image: busybox}\n',
    );
    const env = { HOME: join(s.dir, 'home'), XDG_STATE_HOME: join(s.dir, 'xdg') };
    const r = await runCli(['--yes', '--pillar', p, '--dry-run', '--no-salt'], { cwd: s.dir, env });
    noStack(r);
    expect(await readdir(s.dir)).toEqual(['p.sls']);
  });
});

describe('every file named in argv goes through one checked open', () => {
  /** The built binary, as an operator runs it: a hang shows as the timeout, not as a stuck test. */
  const bin = async (args: string[]) => {
    const { runBin } = await import('../helpers/cli.js');
    const t0 = Date.now();
    const r = await runBin(args, { cwd: s.dir, env: { HOME: s.dir, XDG_STATE_HOME: join(s.dir, 'state') } });
    return { ...r, ms: Date.now() - t0 };
  };

  it('a FIFO, a device or a huge file as --ssh-pubkey, --bootsalt-script or --ssh-config: refused at once, naming it', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.localhost:\n  web.example.com: {}\n');
    const fifo = join(s.dir, 'key.pub');
    execFileSync('mkfifo', [fifo]);
    const huge = join(s.dir, 'boot-salt.sh');
    execFileSync('truncate', ['-s', '300M', huge]);
    const cases: [string[], RegExp][] = [
      [['--ssh-pubkey', fifo], /public key .*key\.pub is a FIFO \(named pipe\), not a regular file/],
      [['--ssh-pubkey', '/dev/urandom'], /public key \/dev\/urandom is a character device, not a regular file/],
      [['--ssh-pubkey', join(s.dir, 'none.pub')], /cannot read public key .*none\.pub: it does not exist/],
      [['--bootsalt-script', huge], /bootstrap script .*boot-salt\.sh is 314572800 bytes, more than a bootstrap script holds/],
      [['--bootsalt-script', '/dev/urandom'], /bootstrap script \/dev\/urandom is a character device/],
      [['--ssh-config', fifo], /ssh config .*key\.pub is a FIFO/],
    ];
    for (const [flags, error] of cases) {
      const r = await bin(['--yes', '--pillar', p, '--dry-run', ...flags]);
      expect(r.code, `${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(error);
      noStack(r);
      expect(r.ms).toBeLessThan(5000);
    }
  }, 60_000);
});

describe("tags Salt's loader refuses are refused here too", () => {
  it('!!merge anywhere but as the merge key, and a collection tag on the wrong kind of node: error[yaml-tag], nothing written', async () => {
    for (const text of [
      'makina-states.cloud.lxc.vms.n1.local:\n  web.example.com:\n    script_args: !!merge x\n',
      'makina-states.cloud.lxc.vms.n1.local:\n  web.example.com:\n    script_args: !!merge\n',
      '!!merge\n',
      'makina-states.cloud.lxc.vms.n1.local:\n  web.example.com:\n    dnsservers: !!seq 8.8.8.8\n',
      'makina-states.cloud.lxc.vms.n1.local:\n  web.example.com: !!str {}\n',
    ]) {
      const p = await s.file('p.sls', text);
      const v = await cli('validate', '--pillar', p);
      expect(v.code, text).not.toBe(0);
      expect(v.stdout + v.stderr, text).toMatch(/yaml-tag|cannot|refuse/);
      noStack(v);
      const a = await cli('add', 'n1.local', 'db.example.com', '--pillar', p);
      expect(a.code, text).not.toBe(0);
      expect(await readFile(p, 'utf8')).toBe(text);
    }
    // the merge key's own tag, on a key, is a merge to Salt as well
    const ok = await s.file(
      'ok.sls',
      'base: &b {profile_type: dir}\nmakina-states.cloud.lxc.vms.n1.local:\n  web.example.com:\n    !!merge <<: *b\n',
    );
    expect((await cli('validate', '--pillar', ok)).code).toBe(0);
  });
});

describe('aliases and merges cost what PyYAML pays for them', () => {
  const chain = (n: number, extra: boolean) =>
    [
      'a0: &a0 {k0: 1}',
      ...Array.from({ length: n - 1 }, (_, i) => `a${i + 1}: &a${i + 1}\n  <<: *a${i}${extra ? `\n  k${i + 1}: 1` : ''}`),
      'makina-states.cloud.lxc.vms.n1.local: {}',
      '',
    ].join('\n');

  it('400 chained merges are read (as PyYAML reads them) in well under the seconds they took (13-83 s)', async () => {
    for (const extra of [true, false]) {
      const p = await s.file('chain.sls', chain(400, extra));
      const t0 = Date.now();
      const r = await cli('validate', '--pillar', p);
      expect(r.code, r.stderr).toBe(0);
      // a bound against a hang, not a benchmark: it was 13-83 s, it is about 0.1 s
      expect(Date.now() - t0).toBeLessThan(5000);
    }
  });

  it('an alias bomb is refused, at once', async () => {
    const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const p = await s.file('bomb.sls', lines.join('\n') + '\nmakina-states.cloud.lxc.vms.n1.local: {}\n');
    const t0 = Date.now();
    const r = await cli('validate', '--pillar', p);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('error[alias-bomb]');
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('the other files the tool writes or reads from argv', () => {
  it('validate --cloud-dir that does not exist, or is not a directory, is refused naming the flag', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local: {}\n');
    for (const dir of [join(s.dir, 'nope'), p]) {
      const r = await cli('validate', '--pillar', p, '--cloud-dir', dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--cloud-dir .* (does not exist|is not a directory)/);
    }
  });

  it('--log-file never appends through a link, nor into a file another user owns, nor in a folder others may write', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.localhost:\n  web.example.com: {}\n');
    const target = await s.file('target', 'untouched\n');
    const link = join(s.dir, 'run.log');
    await symlink(target, link);
    const run = (log: string) => cli('--yes', '--pillar', p, '--no-salt', '--log-file', log, '--only', 'grains');
    let r = await run(link);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is a symbolic link; nothing was written');
    expect(await readFile(target, 'utf8')).toBe('untouched\n');
    const open = join(s.dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    r = await run(join(open, 'run.log'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is writable by everyone (mode 777)');
    if (root) {
      const theirs = await s.file('theirs.log', '');
      execFileSync('chown', ['65534', theirs]);
      r = await run(theirs);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('belongs to uid 65534, not to you');
      expect(await readFile(theirs, 'utf8')).toBe('');
    }
  });
});
