import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scratch } from '../../test/helpers/pillar.js';

// The one fault prepare cannot catch: the rename itself fails after the store took the values.
const failCommit = vi.hoisted(() => ({ on: false }));
vi.mock('../pillar-writer/atomic-write.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../pillar-writer/atomic-write.js')>();
  return {
    ...real,
    prepareAtomicWrite: async (...args: Parameters<typeof real.prepareAtomicWrite>) => {
      const w = await real.prepareAtomicWrite(...args);
      return failCommit.on && args[0].endsWith('.sls')
        ? { abort: w.abort, commit: async () => Promise.reject(Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' })) }
        : w;
    },
  };
});

const { writeEntry } = await import('./write-entry.js');
const { openWorkspace } = await import('./workspace.js');
const { parsePillar, readPillar } = await import('../pillar-writer/read.js');

let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => {
  s = await scratch();
  failCommit.on = false;
});
afterEach(() => s.cleanup());

describe('writeEntry when the pillar cannot be put in place after allocation', () => {
  it('gives back exactly what the store held: the same bytes, or no store at all', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n');
    const ws = await openWorkspace({ pillar: p, env: 'prod', controller: 'ctl.example.net' });
    failCommit.on = true;
    await expect(writeEntry(ws, 'n1.local', 'b.example.com', {}, { update: false })).rejects.toThrow(/EIO/);
    expect(await readdir(s.dir)).toEqual(['p.sls']);
    failCommit.on = false;
    await writeEntry(ws, 'n1.local', 'a.example.com', {}, { update: true });
    const storeFile = join(s.dir, 'cloud-controller/lxc-wizard/nodes/n1.local.json');
    const before = await readFile(storeFile);
    failCommit.on = true;
    await expect(writeEntry(ws, 'n1.local', 'b.example.com', {}, { update: false })).rejects.toThrow(/EIO/);
    expect(await readFile(storeFile)).toEqual(before);
    expect(await readFile(p, 'utf8')).not.toContain('b.example.com');
  });
});

describe('writeEntry and the parses held of the pillar', () => {
  it('returns the pillar as written (the file on disk, as Salt reads it), using the parse held of the file it found', async () => {
    const p = await s.file('p.sls', 'makina-states.cloud.lxc.vms.n1.local:\n  a.example.com: {}\n');
    const ws = await openWorkspace({ pillar: p, env: 'prod', controller: 'ctl.example.net' });
    const held = await readPillar(ws.pillarPath);
    const r = await writeEntry(ws, 'n1.local', 'b.example.com', {}, { update: false, known: [held] });
    const text = await readFile(p, 'utf8');
    expect(r.written!.text).toBe(text);
    expect(r.written!.model).toEqual(parsePillar(ws.pillarPath, text).model);
    // the file changed since: what is held of it serves nothing, the new bytes are read
    await writeEntry(ws, 'n1.local', 'c.example.com', {}, { update: false, known: [held] });
    expect(await readFile(p, 'utf8')).toMatch(/a\.example\.com[^]*b\.example\.com[^]*c\.example\.com/);
  });
});
