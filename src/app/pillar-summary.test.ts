import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';
import { fakeDefaults } from '../../test/helpers/wizard-services.js';
import { readSummary, writeSummary, type PillarSummary } from './pillar-summary.js';

let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => (s = await scratch()));
afterEach(() => s.cleanup());

const SUMMARY: PillarSummary = {
  nodes: [
    { name: 'cn1.example.net', vmCount: 3 },
    { name: 'localhost', vmCount: 0 },
  ],
  env: 'prod',
  defaults: fakeDefaults(),
};
const KEY = { sha256: 'a'.repeat(64), envFlag: undefined };
const home = () => join(s.dir, 'state');

/** The kept file's body, as loose as JSON leaves it. */
interface Kept {
  format: unknown;
  build: unknown;
  summary: { nodes?: { name: string; vmCount: number }[]; env: string; defaults: { sizes: Record<string, unknown> } };
}

/** Rewrite the kept file through `edit` (what another build, a crash or a hand could leave). */
async function tamper(edit: (body: Kept) => void) {
  const dir = join(home(), 'pillar-summaries');
  const [f] = await readdir(dir);
  const body = JSON.parse(await readFile(join(dir, f!), 'utf8'));
  edit(body);
  await writeFile(join(dir, f!), JSON.stringify(body));
}

describe('the kept summary of a pillar', () => {
  it('is found for the same file, bytes and --env, and for nothing else', async () => {
    await writeSummary(home(), '/srv/pillar/lxc.sls', KEY, SUMMARY);
    expect(await readSummary(home(), '/srv/pillar/lxc.sls', KEY)).toEqual(SUMMARY);
    expect(await readSummary(home(), '/srv/pillar/lxc.sls', { ...KEY, sha256: 'b'.repeat(64) })).toBeUndefined();
    expect(await readSummary(home(), '/srv/pillar/lxc.sls', { ...KEY, envFlag: 'prod' })).toBeUndefined();
    expect(await readSummary(home(), '/srv/pillar/other.sls', KEY)).toBeUndefined();
  });

  it.each([
    ['another format', (b: Kept) => (b.format = 2)],
    ['another build', (b: Kept) => (b.build = 'another')],
    ['a node name with an escape sequence', (b: Kept) => (b.summary.nodes![0]!.name = 'cn1\u001b[2J')],
    ['a node name with a bidi override', (b: Kept) => (b.summary.nodes![0]!.name = 'cn1\u202e')],
    ['a negative count', (b: Kept) => (b.summary.nodes![0]!.vmCount = -1)],
    ['an env that is none', (b: Kept) => (b.summary.env = 'staging')],
    ['a size that is not text', (b: Kept) => (b.summary.defaults.sizes.medium = 10)],
    ['no nodes list', (b: Kept) => delete b.summary.nodes],
  ])('is not used when it holds %s', async (_what, edit) => {
    await writeSummary(home(), '/srv/pillar/lxc.sls', KEY, SUMMARY);
    await tamper(edit);
    expect(await readSummary(home(), '/srv/pillar/lxc.sls', KEY)).toBeUndefined();
  });

  it('a file that is not JSON is a miss; a summary that cannot be kept is no error', async () => {
    await writeSummary(home(), '/srv/pillar/lxc.sls', KEY, SUMMARY);
    const dir = join(home(), 'pillar-summaries');
    const [f] = await readdir(dir);
    await writeFile(join(dir, f!), '{"format": 1, "sum');
    expect(await readSummary(home(), '/srv/pillar/lxc.sls', KEY)).toBeUndefined();
    const file = join(s.dir, 'a-file');
    await writeFile(file, '');
    await expect(writeSummary(file, '/srv/pillar/lxc.sls', KEY, SUMMARY)).resolves.toBeUndefined();
  });
});
