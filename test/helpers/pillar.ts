import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePillar } from '../../src/pillar-writer/read.js';

export const SEED = new URL('../fixtures/seed.sls', import.meta.url);

export async function seedText(): Promise<string> {
  return readFile(SEED, 'utf8');
}

export function model(text: string, file = 'pillar.sls') {
  return parsePillar(file, text).model;
}

/** A scratch directory per test, removed afterwards by the returned cleanup. */
export async function scratch(): Promise<{
  dir: string;
  file: (name: string, text?: string) => Promise<string>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'lxc-wizard-test-'));
  return {
    dir,
    file: async (name, text) => {
      const p = join(dir, name);
      if (text !== undefined) await writeFile(p, text);
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
