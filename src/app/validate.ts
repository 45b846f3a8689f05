import { sortFindings, type Finding } from '../core/findings.js';
import { storeFindings } from '../core/store-findings.js';
import { validatePillar } from '../core/validate.js';
import { readPillar, type PillarFile } from '../pillar-writer/read.js';
import { realPathOf } from '../pillar-writer/safe-file.js';
import { loadWorkspace, type Workspace } from './workspace.js';

/**
 * Every finding of the pillar, and notes on the stored values no pillar uses. Other pillars beside
 * it share the store: the values their VMs use are not reported. A file that does not parse is
 * itself the finding, reported rather than thrown.
 */
export async function validateWorkspace(ws: Workspace, otherPillars: string[]): Promise<{ file: PillarFile; findings: Finding[] }> {
  const { file, rd, store } = await loadWorkspace(ws, { requireParsable: false });
  const others = await Promise.all(otherPillars.map(async (a) => (await readPillar(await realPathOf(a))).model));
  const findings = sortFindings([
    ...validatePillar(file.model, ws.settings.env, store, rd),
    ...storeFindings([file.model, ...others], store, (n) => ws.store.values.fileOf(n), file.path),
  ]);
  return { file, findings };
}
