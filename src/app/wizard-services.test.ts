import { appendFile, copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { sha256 } from '../pillar-writer/read.js';
import { scratch, SEED } from '../../test/helpers/pillar.js';
import { fakeDefaults } from '../../test/helpers/wizard-services.js';
import { readSummary, writeSummary } from './pillar-summary.js';
import { SMALL_PILLAR, wizardServices } from './wizard-services.js';
import { openWorkspace } from './workspace.js';

/**
 * The wizard's first screen from the summary kept of the same bytes: drawn before the parse, the
 * parse done when the machine starts it, and the same answers either way.
 */
let s: Awaited<ReturnType<typeof scratch>>;
let pillar: string;
beforeEach(async () => {
  s = await scratch();
  pillar = await s.file('lxc.sls');
  await copyFile(SEED, pillar);
});
afterEach(() => s.cleanup());

const stateHome = () => join(s.dir, 'state');
/**
 * The wizard's services on the pillar. The seed is small enough to be parsed before the first
 * frame by default: these tests treat it as a big one (parseFirstUpTo 0) unless they say.
 */
async function open(env: 'prod' | 'dev' | undefined = 'prod', parseFirstUpTo = 0) {
  const ws = await openWorkspace({ pillar, env, controller: 'ctl.example.net' });
  return wizardServices(
    ws,
    { home: join(s.dir, 'home'), stateHome: stateHome() },
    { noSalt: true, commandArgs: { context: [], run: [] } },
    { parseFirstUpTo },
  );
}
/** a wizard's services as its first frame is drawn, then made ready (as the machine does) */
async function openRead(env: 'prod' | 'dev' | undefined = 'prod') {
  const w = await open(env);
  await w.ready!();
  return w;
}
const summaries = () => readdir(join(stateHome(), 'pillar-summaries')).catch(() => []);

describe('the wizard services and the kept summary of a pillar', () => {
  it('the first time, the first frame comes before the parse; once read, the summary is kept (0600 in a 0700 directory)', async () => {
    const a = await open();
    // nothing kept of these bytes: the first screen says the pillar is being read
    expect(a.nodes()).toBeUndefined();
    expect(() => a.env).toThrow(/before the pillar was read/);
    expect(() => a.existing('gfoobar.test.com')).toThrow(/before it was read/);
    expect(await summaries()).toEqual([]);
    await a.ready!();
    expect(a.nodes()?.map((n) => n.name)).toContain('devhost10.local');
    expect(a.env).toBe('prod');
    expect(a.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
    const files = await summaries();
    expect(files).toHaveLength(1);
    expect((await stat(join(stateHome(), 'pillar-summaries'))).mode & 0o777).toBe(0o700);
    const kept = join(stateHome(), 'pillar-summaries', files[0]!);
    expect((await stat(kept)).mode & 0o777).toBe(0o600);
    // names, counts and defaults only: no password of the pillar is kept
    expect(await readFile(kept, 'utf8')).not.toContain('foobar"');
    expect(await readFile(kept, 'utf8')).not.toMatch(/password/);
  });

  it('a small pillar never read before is parsed before the first frame; a bigger one after it', async () => {
    expect((await stat(pillar)).size).toBeLessThanOrEqual(SMALL_PILLAR);
    const small = await open('prod', SMALL_PILLAR);
    expect(small.nodes()?.map((n) => n.name)).toContain('devhost10.local');
    expect(small.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
    // the same VMs, with a long comment: over the size, read after the first frame
    await appendFile(pillar, `# ${'x'.repeat(SMALL_PILLAR)}\n`);
    const big = await open('prod', SMALL_PILLAR);
    expect(big.nodes()).toBeUndefined();
    await big.ready!();
    expect(big.nodes()).toEqual(small.nodes());
  });

  it('with something to ask before the UI (a passphrase, for the nodes), the pillar is read before the first frame', async () => {
    const ws = await openWorkspace({ pillar, env: 'prod', controller: 'ctl.example.net' });
    let asked: string[] | undefined;
    const a = await wizardServices(
      ws,
      { home: join(s.dir, 'home'), stateHome: stateHome() },
      { noSalt: true, commandArgs: { context: [], run: [] } },
      { beforeUi: async (nodes) => void (asked = nodes), parseFirstUpTo: 0 },
    );
    expect(asked).toEqual(a.nodes()?.map((n) => n.name));
    expect(asked).toContain('devhost10.local');
    expect(a.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
    expect(await summaries()).toHaveLength(1);
  });

  it('the next wizard on the same bytes draws from the summary and parses only when made ready', async () => {
    const a = await openRead();
    const b = await open();
    expect(b.nodes()).toEqual(a.nodes());
    expect(b.env).toBe(a.env);
    expect(b.defaults).toEqual(a.defaults);
    // nothing parsed yet: what needs the pillar says so instead of answering from nothing
    expect(() => b.existing('gfoobar.test.com')).toThrow(/before it was read/);
    await b.ready!();
    expect(b.existing('gfoobar.test.com')).toEqual(a.existing('gfoobar.test.com'));
    expect(b.ipOnWrite('devhost10.local', 'new.example.com')).toBe(a.ipOnWrite('devhost10.local', 'new.example.com'));
  });

  it('reads afresh when the bytes or the --env differ', async () => {
    await openRead();
    await appendFile(pillar, '# edited by hand\n');
    const edited = await open();
    expect(edited.nodes()).toBeUndefined();
    await edited.ready!();
    expect(edited.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
    const dev = await open('dev');
    expect(dev.nodes()).toBeUndefined();
    await dev.ready!();
    expect(dev.env).toBe('dev');
    expect(dev.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
  });

  it('a summary whose bytes do not parse (kept by another build) ends in the parse error, with its line', async () => {
    const broken = 'makina-states.services.cloud.lxc.targets.cn1.example.net:\n  web.example.com: {ip: [\n';
    await writeFile(pillar, broken);
    const ws = await openWorkspace({ pillar, env: 'prod', controller: 'ctl.example.net' });
    await writeSummary(
      stateHome(),
      ws.pillarPath,
      { sha256: sha256(broken), envFlag: 'prod' },
      {
        nodes: [{ name: 'cn1.example.net', vmCount: 1 }],
        env: 'prod',
        defaults: fakeDefaults(),
      },
    );
    const b = await open();
    expect(b.nodes()?.map((n) => n.name)).toEqual(['cn1.example.net']);
    const err = await b.ready!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).where?.line).toBeGreaterThan(0);
    expect(b.failure()).toBe(err);
  });

  it('a summary that does not match the parse (an origin changed in it) ends the wizard and is removed', async () => {
    await openRead();
    const dir = join(stateHome(), 'pillar-summaries');
    const [f] = await summaries();
    const body = JSON.parse(await readFile(join(dir, f!), 'utf8'));
    body.summary.defaults.origin = 'planted-origin';
    await writeFile(join(dir, f!), JSON.stringify(body));
    const b = await open();
    expect(b.defaults.origin).toBe('planted-origin'); // what the first screen would draw
    await expect(b.ready!()).rejects.toThrow(/kept summary of .* does not match the file/);
    expect(b.failure()).toBeInstanceOf(UserError);
    expect(await summaries()).toEqual([]);
    const c = await openRead();
    expect(c.defaults.origin).not.toBe('planted-origin');
    expect(c.existing('gfoobar.test.com')?.node).toBe('devhost10.local');
  });

  it('keeps the summary of what the wizard wrote: the next wizard on the new bytes draws at once', async () => {
    const a = await openRead();
    const before = a.nodes()!.find((n) => n.name === 'devhost10.local')!.vmCount;
    a.preview('devhost10.local', 'new.example.com', { profile_type: 'dir' });
    await a.write('devhost10.local', 'new.example.com', { profile_type: 'dir' }, { update: false });
    const text = await readFile(pillar, 'utf8');
    expect(text).toContain('new.example.com');
    expect(a.nodes()!.find((n) => n.name === 'devhost10.local')!.vmCount).toBe(before + 1);
    const ws = await openWorkspace({ pillar, env: 'prod', controller: 'ctl.example.net' });
    const kept = await readSummary(stateHome(), ws.pillarPath, { sha256: sha256(text), envFlag: 'prod' });
    expect(kept?.nodes.find((n) => n.name === 'devhost10.local')?.vmCount).toBe(
      a.nodes()!.find((n) => n.name === 'devhost10.local')!.vmCount,
    );
    const b = await open();
    expect(() => b.existing('new.example.com')).toThrow(/before it was read/);
    await b.ready!();
    expect(b.existing('new.example.com')?.node).toBe('devhost10.local');
  });

  it('after its write, the wizard still sees what someone else changes in the pillar', async () => {
    const a = await openRead();
    a.preview('devhost10.local', 'one.example.com', { profile_type: 'dir' });
    await a.write('devhost10.local', 'one.example.com', { profile_type: 'dir' }, { update: false });
    expect(a.existing('one.example.com')?.node).toBe('devhost10.local');
    // another writer, after the wizard's write
    await appendFile(pillar, 'makina-states.cloud.lxc.vms.devhost10.local.other.example.com: {}\n');
    a.preview('devhost10.local', 'two.example.com', { profile_type: 'dir' });
    await expect(a.write('devhost10.local', 'two.example.com', { profile_type: 'dir' }, { update: false })).rejects.toThrow(
      /changed since you reviewed/,
    );
    // the refusal read the file afresh: the next review is made from it
    a.preview('devhost10.local', 'two.example.com', { profile_type: 'dir' });
    await a.write('devhost10.local', 'two.example.com', { profile_type: 'dir' }, { update: false });
    expect(a.existing('other.example.com')?.node).toBe('devhost10.local');
    const text = await readFile(pillar, 'utf8');
    for (const vm of ['one', 'other', 'two']) expect(text).toContain(`${vm}.example.com`);
  });
});
