import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratch } from '../helpers/pillar.js';
import { pillarText } from '../helpers/yaml-gen.js';

/**
 * Every input path, fuzzed: argv values, pillar bytes, store files. For each run: a documented
 * exit code, no stack trace, and when the command fails (or only reads) no byte changed anywhere.
 * A fixed seed and a bounded count in CI; `npm run soak` runs it longer with random seeds.
 */
const runs = Number(process.env.FUZZ_RUNS ?? 1000);
/** The test process (every run is in it) stays under this: an input that blows memory up shows. */
const MAX_RSS_MB = 1024;

/** Bounds against a hang or a blow-up, not benchmarks: each input is answered in milliseconds. */
function beyondBounds(ms: number, label: string): string[] {
  const rss = process.memoryUsage().rss / (1024 * 1024);
  return [
    ...(ms > 10_000 ? [`took ${ms} ms: ${label}`] : []),
    ...(rss > MAX_RSS_MB ? [`the process grew to ${rss.toFixed(0)} MB: ${label}`] : []),
  ];
}
const seed = process.env.FC_SEED === 'random' ? undefined : Number(process.env.FC_SEED ?? 20261125);

const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '../../etc/passwd',
    'a.example.com/../x',
    '-rf',
    '--pillar',
    'web01.example.com',
    'n1.local',
    'localhost',
    'a'.repeat(300),
    'x;rm -rf /',
    '$(id)',
    '`id`',
    'é.example.com',
    'WEB.example.com',
    'a\u202eb.example.com',
    'a\u001b[2Jb',
    'constructor',
    '__proto__',
    '10.5.0.2',
    '0x4',
    '-1',
    '1e3',
    '65536',
  ),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[a-z0-9.-]{1,30}$/),
);

const pillarBytes = fc.oneof(
  pillarText(true).map((t) => Buffer.from(t, 'utf8')),
  pillarText(false).map((t) => Buffer.from(t, 'utf8')),
  fc.constantFrom(
    Buffer.from('makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n'),
    Buffer.from('\ufeffmakina-states.cloud.lxc.vms.n1.local: {}\n', 'utf16le'),
    Buffer.from([0x6d, 0x3a, 0x20, 0xe9, 0x0a]),
    Buffer.alloc(0),
    Buffer.from('makina-states.cloud.lxc.vms.n1.local: {}\r\n  a.example.com: {}\r\n'),
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  // a chain of merges (each anchor merging the one before, with or without keys of its own), or
  // of aliases ten times wider at each level: what cost cubic time, and what is a bomb
  fc
    .tuple(fc.integer({ min: 2, max: 400 }), fc.boolean())
    .map(([n, own]) =>
      Buffer.from(
        [
          'a0: &a0 {k0: 1}',
          ...Array.from({ length: n - 1 }, (_, i) => `a${i + 1}: &a${i + 1}\n  <<: *a${i}${own ? `\n  k${i + 1}: 1` : ''}`),
          'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}',
          '',
        ].join('\n'),
      ),
    ),
  fc
    .integer({ min: 2, max: 9 })
    .map((levels) =>
      Buffer.from(
        [
          'l0: &l0 [x, x, x, x, x, x, x, x, x, x]',
          ...Array.from({ length: levels - 1 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`),
          'makina-states.cloud.lxc.vms.n1.local: {}',
          '',
        ].join('\n'),
      ),
    ),
  // a valid pillar with a few random bytes flipped
  fc.tuple(fc.nat(60), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
    const base = Buffer.from('makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {ip: 10.5.0.9}\n');
    base[i % base.length] = b;
    return base;
  }),
);

const storeBytes = fc.option(
  fc.oneof(
    fc.constantFrom(
      '{"version":2,"node":"n1.local","vms":{"a.example.com":{"ip":"10.5.0.2","mac":"00:16:3e:00:00:01","password":"x","ssh_reverse_proxy_port":40000}}}',
      '{"node":"n1.local","vms":{"../x":{}}}',
      '{"node":"n1.local","vms":{"a.example.com":{"ip":"nope"}}}',
      '{"node":"n1.local","vms":[]}',
      'not json',
      '{"node":"other.local","vms":{}}',
      '{"node":"n1.local","vms":{"a.example.com":{"ssh_reverse_proxy_port":1e99}}}',
    ),
    fc.json(),
  ),
  { nil: undefined },
);

const command = fc.oneof(
  fc.tuple(hostileString, hostileString).map(([cn, vm]) => ['add', cn, vm]),
  fc.constant(['add', 'n1.local', 'new.example.com']),
  fc.tuple(hostileString, hostileString).map(([cn, vm]) => ['settings', cn, vm]),
  fc.constant(['settings', 'n1.local', 'a.example.com']),
  fc.constant(['list']),
  fc.constant(['validate']),
  fc.constant(['validate', '--json']),
  fc.tuple(hostileString, hostileString).map(([cn, vm]) => ['forget', cn, vm, '--yes']),
);

const extraFlags = fc.array(
  fc.oneof(
    fc.tuple(
      fc.constantFrom(
        '--ip',
        '--mac',
        '--profile-type',
        '--size',
        '--mode',
        '--from-container',
        '--image',
        '--bootsalt-branch',
        '--env',
        '--controller',
      ),
      hostileString,
    ),
    fc.constantFrom(['--dry-run'], ['--update'], ['--json'], ['--backup'], ['--force-pillar'], ['--no-color'], ['--unknown-flag']),
  ),
  { maxLength: 3 },
);

async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const n of await readdir(d)) {
      const p = join(d, n);
      const st = await lstat(p);
      if (st.isDirectory()) {
        out.set(p, `dir ${st.mode}`);
        await walk(p);
      } else
        out.set(
          p,
          `${st.mode} ${createHash('sha256')
            .update(await readFile(p))
            .digest('hex')}`,
        );
    }
  };
  await walk(dir);
  return out;
}

describe('fuzzing every input path', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it(`${runs} runs of hostile argv, pillar bytes and store files: documented exit codes, no stack, no byte changed on failure`, async () => {
    const cases = fc.sample(fc.tuple(command, extraFlags, pillarBytes, storeBytes), { numRuns: runs, seed });
    const problems: string[] = [];
    for (const [i, [cmd, flags, bytes, store]] of cases.entries()) {
      const dir = join(s.dir, `case${i}`);
      await mkdir(dir);
      const pillar = join(dir, 'p.sls');
      await writeFile(pillar, bytes);
      if (store !== undefined) {
        await mkdir(join(dir, 'cloud-controller/lxc-wizard/nodes'), { recursive: true, mode: 0o700 });
        await writeFile(
          join(dir, 'cloud-controller/lxc-wizard/nodes/n1.local.json'),
          typeof store === 'string' ? store : JSON.stringify(store),
          { mode: 0o600 },
        );
      }
      const args = [...cmd, ...flags.flat(), '--pillar', pillar];
      const before = await snapshot(dir);
      const t0 = Date.now();
      const r = await runCli(args, { cwd: dir, env: { HOME: join(dir, 'home') } });
      const ms = Date.now() - t0;
      const after = await snapshot(dir);
      const label = `${JSON.stringify(args)} on ${JSON.stringify(bytes.toString('latin1').slice(0, 120))}`;
      if (![0, 1, 2].includes(r.code)) problems.push(`exit ${r.code}: ${label}`);
      if (/internal error|\n\s+at /.test(r.stderr)) problems.push(`stack: ${label}\n${r.stderr.slice(0, 600)}`);
      const readOnly = ['settings', 'list', 'validate'].includes(cmd[0]!) || args.includes('--dry-run');
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
      if ((r.code !== 0 || readOnly) && changed.length)
        problems.push(`changed ${changed.join(', ')} (exit ${r.code}, ${readOnly ? 'read-only' : 'failed'}): ${label}`);
      // eslint-disable-next-line no-control-regex
      if (/[\u001b\u0007\u202e]/.test(r.stdout + r.stderr)) problems.push(`raw control characters printed: ${label}`);
      problems.push(...beyondBounds(ms, label));
      await rm(dir, { recursive: true, force: true });
    }
    expect(problems.slice(0, 5)).toEqual([]);
  }, 600_000);
});

/**
 * Files named in argv and trees the tool writes into, of every kind an operator (or another user)
 * could hand it: a FIFO, a device, a link to a file outside, a huge file, a directory, one another
 * user owns, a folder everyone may write, a link planted inside an output tree.
 */
type FileKind = 'fifo' | 'urandom' | 'link' | 'huge' | 'dir' | 'foreign' | 'open-dir' | 'missing' | 'plain';
const FILE_KINDS: FileKind[] = ['fifo', 'urandom', 'link', 'huge', 'dir', 'foreign', 'open-dir', 'missing', 'plain'];
const SECRET = 'Fz9SecretPasswordValue';
const root = process.getuid?.() === 0;

/** Make `kind` at `path` (its parent exists); an outside file a link points to is `outside`. */
async function makeKind(kind: FileKind, path: string, outside: string, plain: string): Promise<void> {
  switch (kind) {
    case 'fifo':
      execFileSync('mkfifo', [path]);
      return;
    case 'urandom':
      await symlink('/dev/urandom', path);
      return;
    case 'link':
      await symlink(outside, path);
      return;
    case 'huge':
      execFileSync('truncate', ['-s', '100M', path]);
      return;
    case 'dir':
      await mkdir(path);
      return;
    case 'foreign':
      await writeFile(path, plain);
      if (root) execFileSync('chown', ['65534', path]);
      return;
    case 'open-dir':
      await mkdir(path);
      await chmod(path, 0o777);
      return;
    case 'missing':
      return;
    case 'plain':
      await writeFile(path, plain);
  }
}

const fileCase = fc.tuple(
  fc.constantFrom(
    ['--ssh-pubkey', 'key.pub', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests t@x\n'] as const,
    ['--bootsalt-script', 'boot-salt.sh', '#!/bin/sh\necho stand-in\n'] as const,
    ['--ssh-config', 'ssh_config', 'Host n1.local\n  User root\n'] as const,
    ['--password-file', 'pw', 'hunter22hunter\n'] as const,
    ['--log-file', 'logs/run.log', ''] as const,
    ['--out', 'out', ''] as const,
    ['--cloud-dir', 'cloud', ''] as const,
    ['--state-dir', 'state', ''] as const,
  ),
  fc.constantFrom(...FILE_KINDS),
  fc.boolean(),
);

describe('fuzzing the files argv names and the trees the tool writes into', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());
  const fileRuns = Math.max(100, Math.round(runs * 0.4));

  it(`${fileRuns} runs: documented exit codes, no stack, nothing written through a link or outside, no secret printed, bounded time`, async () => {
    const cases = fc.sample(fileCase, { numRuns: fileRuns, seed });
    const problems: string[] = [];
    for (const [i, [[flag, rel, plain], kind, showSecrets]] of cases.entries()) {
      const dir = join(s.dir, `files${i}`);
      await mkdir(join(dir, 'logs'), { recursive: true });
      const outside = join(dir, 'outside.txt');
      await writeFile(outside, 'outside\n');
      const pillar = join(dir, 'p.sls');
      await writeFile(pillar, `makina-states.cloud.lxc.vms.localhost:\n  a.example.com: {password: ${SECRET}, ip: 10.5.0.9}\n`);
      const path = join(dir, rel);
      await makeKind(kind, path, outside, plain);
      // a link planted inside an output tree as well (the tree's own first level)
      if ((flag === '--out' || flag === '--state-dir') && kind === 'plain') {
        await rm(path, { force: true });
        await mkdir(path);
        await symlink(outside, join(path, flag === '--out' ? 'cloud.maps.d' : 'lxc-wizard'));
      }
      const cmd =
        flag === '--out'
          ? ['controller', 'setup', '--controller', 'ctl.example.net', ...(showSecrets ? ['--show-secrets'] : [])]
          : flag === '--cloud-dir'
            ? ['validate']
            : flag === '--password-file'
              ? ['add', 'localhost', 'b.example.com']
              : flag === '--state-dir'
                ? ['settings', 'localhost', 'a.example.com', ...(showSecrets ? ['--show-secrets'] : [])]
                : ['--yes', '--no-salt', '--only', 'grains', '--dry-run'];
      const args = [...cmd, flag, path, '--pillar', pillar];
      const t0 = Date.now();
      const r = await runCli(args, { cwd: dir, env: { HOME: join(dir, 'home') } });
      const ms = Date.now() - t0;
      const label = `${JSON.stringify(args.map((a) => a.replace(dir, '~')))} (${kind})`;
      if (![0, 1, 2].includes(r.code)) problems.push(`exit ${r.code}: ${label}`);
      if (/internal error|\n\s+at /.test(r.stderr)) problems.push(`stack: ${label}\n${r.stderr.slice(0, 600)}`);
      if ((await readFile(outside, 'utf8')) !== 'outside\n') problems.push(`wrote through a link to a file outside: ${label}`);
      if (!showSecrets && (r.stdout + r.stderr).includes(SECRET)) problems.push(`secret printed: ${label}`);
      problems.push(...beyondBounds(ms, label));
      await rm(dir, { recursive: true, force: true });
    }
    expect(problems.slice(0, 5)).toEqual([]);
  }, 600_000);
});
