import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';

/**
 * Each kind of failure an operator can fix, through each front end of the binary: the message, the
 * hint, the documented exit status, and never a stack trace or "internal error".
 */
let s: Awaited<ReturnType<typeof scratch>>;
let env: NodeJS.ProcessEnv;
let sshConfig: string;
beforeEach(async () => {
  s = await scratch();
  env = { HOME: join(s.dir, 'home'), XDG_STATE_HOME: join(s.dir, 'state') };
  // a node that refuses connections: nothing listens on port 1
  sshConfig = await s.file('ssh_config', 'Host refusing.example.net\n  HostName 127.0.0.1\n  Port 1\n  User root\n');
});
afterEach(() => s.cleanup());

const noStack = (text: string) => {
  expect(text).not.toContain('internal error');
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
};
const pillarOn = (node: string, extra = '') =>
  s.file('p.sls', `makina-states.cloud.lxc.vms.${node}:\n  web.example.com: {profile_type: dir${extra}}\n`);

describe('a transport failure (the node refuses connections)', () => {
  it('plain: destroy says which node and what to try, exit 1', async () => {
    const p = await pillarOn('refusing.example.net');
    const r = await runBin(['destroy', 'web.example.com', '--pillar', p, '--yes', '--ssh-config', sshConfig], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*refusing\.example\.net/m);
    expect(r.stderr).toMatch(/^ {2}hint: /m);
    noStack(r.stderr);
  });

  it('--json: the run document names the failed step, its error and hint, exit 1', async () => {
    const p = await pillarOn('refusing.example.net');
    const r = await runBin(['--yes', '--pillar', p, '--ssh-config', sshConfig, '--json', '--no-salt'], { env });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.vms[0].steps[0]).toMatchObject({
      name: 'preflight',
      state: 'failed',
      error: expect.stringMatching(/refusing\.example\.net|127\.0\.0\.1/),
      hint: expect.any(String),
    });
    noStack(r.stdout + r.stderr);
  });
});

describe('a refused write', () => {
  it('plain: add refuses a pillar with two hard links, saying why and what to do, exit 1', async () => {
    const p = await pillarOn('cn1.example.net');
    await link(p, join(s.dir, 'other-name.sls'));
    const r = await runBin(['add', 'cn1.example.net', 'db.example.com', '--pillar', p], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*2 hard links/m);
    expect(r.stderr).toMatch(/^ {2}hint: /m);
    noStack(r.stderr);
  });

  it('--json: controller setup reports where it could not write, as one JSON document, exit 1', async () => {
    const p = await pillarOn('cn1.example.net', ', ip: 10.5.0.9');
    const out = join(s.dir, 'etc');
    await mkdir(out);
    await writeFile(join(out, 'cloud.providers.d'), 'not a directory\n');
    const r = await runBin(['controller', 'setup', '--pillar', p, '--out', out, '--json', '--controller', 'ctl.example.net'], { env });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: false,
      error: { kind: 'user', message: expect.stringContaining('cloud.providers.d'), hint: expect.any(String) },
    });
    noStack(r.stdout + r.stderr);
  });
});

describe('a step failure', () => {
  it('plain and --json: the failed step with its error and hint, exit 1', async () => {
    // localhost runs locally: preflight stops at what this machine lacks (LXC, node setup, the bridge)
    const p = await pillarOn('localhost', ', bridge: lxcw-no-such-br');
    const plain = await runBin(['--yes', '--pillar', p, '--no-salt', '--plain'], { env });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^web\.example\.com {2}preflight {2}✖ failed/m);
    expect(plain.stderr).toMatch(/^web\.example\.com {2}preflight {2}hint: /m);
    expect(plain.stdout).toMatch(/^web\.example\.com on localhost: failed at preflight: /m);
    noStack(plain.stdout + plain.stderr);
    const json = await runBin(['--yes', '--pillar', p, '--no-salt', '--json'], { env });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).vms[0].steps[0]).toMatchObject({ state: 'failed', error: expect.any(String), hint: expect.any(String) });
    noStack(json.stdout + json.stderr);
  });
});

describe('a path with a newline, from argv or the environment', () => {
  it('never stands as a line of its own: no forged error: or hint: line', async () => {
    const forged = join(s.dir, 'x\nerror: forged\nhint: rm -rf /');
    for (const r of [
      await runBin(['validate', '--pillar', forged], { env }),
      await runBin(['validate'], { env: { ...env, LXC_WIZARD_PILLAR: forged } }),
    ]) {
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n');
      expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
      expect(lines.filter((l) => /^ {0,2}hint:/.test(l))).toEqual(['  hint: check the path']);
      expect(r.stderr).not.toMatch(/^\s*(error|hint): (forged|rm)/m);
      expect(r.stderr).toContain('x\\x0aerror: forged');
      noStack(r.stderr);
    }
  });
});
