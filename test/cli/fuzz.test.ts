import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, lstat, rm, writeFile } from 'node:fs/promises';
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
const runs = Number(process.env.FUZZ_RUNS ?? 250);
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
      const r = await runCli(args, { cwd: dir, env: { HOME: join(dir, 'home') } });
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
      await rm(dir, { recursive: true, force: true });
    }
    expect(problems.slice(0, 5)).toEqual([]);
  }, 600_000);
});
