import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_SH, passwordsError } from './salt.js';
import type { StepContext } from './step.js';

/** The bootstrap script in a local sh, chpasswd replaced by `chpasswd` (a shell body), or absent. */
async function run(chpasswd: string | undefined, master = '10.5.0.1') {
  const dir = await mkdtemp(join(tmpdir(), 'lxcw-bootstrap-'));
  const bin = join(dir, 'bin');
  await writeFile(join(dir, '.keep'), '');
  const path = [bin, '/usr/bin', '/bin'].join(':');
  if (chpasswd !== undefined) {
    await mkdir(bin);
    await writeFile(join(bin, 'chpasswd'), `#!/bin/sh\n${chpasswd}\n`);
    await chmod(join(bin, 'chpasswd'), 0o755);
  }
  const lines = 'root:s3cret\nnobody-here:x\n';
  // as runBootstrap passes them: script, vm, master, port, marker, its content, pem and pub
  // lengths, the password lines' length, their marker
  const args = [
    join(dir, 'boot.sh'),
    'vm',
    master,
    '4606',
    join(dir, 'bootmarker'),
    '-C',
    '0',
    '0',
    String(lines.length),
    join(dir, 'pwmarker'),
  ];
  // no chpasswd at all: a PATH without it (sh, dd and grep are in /bin or /usr/bin; chpasswd in /usr/sbin)
  const env = { PATH: chpasswd === undefined ? path.replace(`${bin}:`, '') : path };
  const r = spawnSync('sh', ['-c', BOOTSTRAP_SH, 'sh', ...args], { input: lines + '#!/bin/sh\necho ran\n', encoding: 'utf8', env });
  const files = await readdir(dir);
  await rm(dir, { recursive: true, force: true });
  return { r, files };
}

const ctx = { vm: 'vm' } as StepContext;
const result = (r: ReturnType<typeof spawnSync>) => ({
  code: r.status,
  signal: null,
  stdout: String(r.stdout),
  stderr: String(r.stderr),
  durationMs: 0,
  timedOut: false,
});

describe('the bootstrap script with the passwords first (one round trip for initial_setup)', () => {
  it('a chpasswd that fails stops it before anything else: no marker, no script, its own words in the error', async () => {
    const { r, files } = await run('cat >/dev/null; echo "chpasswd: (user root) pam_chauthtok() failed" >&2; exit 1');
    expect(r.status).toBe(1);
    expect(files.sort()).toEqual(['.keep', 'bin']);
    expect(passwordsError(ctx, result(r))?.message).toBe(
      'setting the passwords failed in vm: chpasswd: (user root) pam_chauthtok() failed',
    );
  });

  it('no chpasswd in the VM: exit 127 and the hint to use an image that has it', async () => {
    const { r, files } = await run(undefined);
    expect(r.status).toBe(127);
    expect(files).toEqual(['.keep']);
    expect(passwordsError(ctx, result(r))?.hint).toMatch(/passwd package/);
  });

  it('a master name the VM cannot resolve stops it before anything changes (the minion could never reach it)', async () => {
    const { r, files } = await run('cat >/dev/null', 'nowhere.invalid');
    expect(r.status).toBe(76);
    expect(r.stderr).toContain('lxc-wizard: the master does not resolve');
    expect(files.sort()).toEqual(['.keep', 'bin']);
    // an address is taken as it is
    expect((await run('cat >/dev/null; exit 1', '10.5.0.1')).r.status).toBe(1);
  });

  it('chpasswd gets only the lines of users that exist', async () => {
    // chpasswd here writes what it got next to the markers, then fails so nothing else runs
    const { r } = await run('cat >&2; exit 1');
    expect(r.stderr).toContain('root:s3cret');
    expect(r.stderr).not.toContain('nobody-here');
  });
});
