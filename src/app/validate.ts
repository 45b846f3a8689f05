import { readdir, stat } from 'node:fs/promises';
import { ExitCode, UserError } from '../core/errors.js';
import { join } from 'node:path';
import { sortFindings, type Finding } from '../core/findings.js';
import { storeFindings } from '../core/store-findings.js';
import { validatePillar } from '../core/validate.js';
import { parsePillar, readPillar, type PillarFile } from '../pillar-writer/read.js';
import { readTextFile, realPathOf } from '../pillar-writer/safe-file.js';
import { cloudDirFor } from './controller-setup.js';
import { loadWorkspace, type Workspace } from './workspace.js';

/**
 * Every finding of the pillar, and notes on the stored values no pillar uses. Other pillars beside
 * it share the store: the values their VMs use are not reported. A file that does not parse is
 * itself the finding, reported rather than thrown.
 */
export async function validateWorkspace(
  ws: Workspace,
  otherPillars: string[],
  cloudDir?: string,
): Promise<{ file: PillarFile; findings: Finding[] }> {
  if (cloudDir !== undefined) {
    const st = await stat(cloudDir).catch(() => undefined);
    if (!st?.isDirectory())
      throw new UserError(`--cloud-dir ${cloudDir} ${st ? 'is not a directory' : 'does not exist'}`, {
        where: { field: '--cloud-dir' },
        hint: "give the directory salt-cloud's files are in (/etc/mastersalt or /etc/salt), or leave the flag out",
        exitCode: ExitCode.USAGE,
      });
  }
  const loaded = await loadWorkspace(ws, { requireParsable: false });
  const { file, rd, store } = loaded;
  const others = await Promise.all(otherPillars.map(async (a) => (await readPillar(await realPathOf(a))).model));
  const knownProfiles = await profilesIn(cloudDirFor(loaded, cloudDir));
  const findings = sortFindings([
    ...validatePillar(file.model, ws.settings.env, store, rd, { knownProfiles }),
    ...storeFindings([file.model, ...others], store, (n) => ws.store.values.fileOf(n), file.path),
  ]);
  return { file, findings };
}

/**
 * The profile names salt-cloud would find under DIR/cloud.profiles.d (what controller setup wrote, or
 * an operator): a verbatim `profile:` naming one of them is not reported as unknown. A directory that
 * is missing or unreadable, or a file that does not read as YAML, adds no name.
 */
async function profilesIn(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  const pdir = join(dir, 'cloud.profiles.d');
  let entries: string[];
  try {
    entries = (await readdir(pdir)).filter((n) => n.endsWith('.conf')).sort();
  } catch {
    return names;
  }
  for (const e of entries) {
    try {
      const f = parsePillar(join(pdir, e), (await readTextFile(join(pdir, e), { what: 'salt-cloud profiles file' })).text);
      if (!f.editBlocker && f.data instanceof Map) for (const k of f.data.keys()) if (typeof k === 'string') names.add(k);
    } catch {
      // not a regular readable UTF-8 file: salt-cloud would not read profiles from it either
    }
  }
  return names;
}
