import { randomBytes, randomInt } from 'node:crypto';
import { allocateVm, type RandomSource } from '../core/allocation.js';
import { UserError } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';
import type { StoredVm } from '../core/model.js';
import { writeFileAtomic } from '../pillar-writer/atomic-write.js';
import type { Entry } from '../pillar-writer/edit.js';

export type { Entry };
import { withLock } from '../pillar-writer/lock.js';
import { readPillar } from '../pillar-writer/read.js';
import { draftEntry } from './draft.js';
import type { Reporter, Workspace } from './workspace.js';

export const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n), int: (max) => randomInt(max) };

export interface WriteOptions {
  /** the VM exists: change the given keys, keep the others */
  update: boolean;
  dryRun?: boolean;
  backup?: boolean;
  /** the content the operator reviewed: refuse if the file no longer has it */
  reviewedSha256?: string;
  reporter?: Pick<Reporter, 'finding' | 'warn'>;
}

export interface WriteResult {
  diff: string;
  /** what the store now holds for the VM (undefined for a dry run) */
  allocated: StoredVm | undefined;
}

/**
 * Validate and write one VM entry, allocating its generated values: the one write path of `add`
 * and the wizard. Lock first, then read, so two writers queue instead of losing an entry.
 */
export async function writeEntry(ws: Workspace, node: string, vm: string, given: Entry, o: WriteOptions): Promise<WriteResult> {
  return withLock(ws.pillarPath, async () => {
    const file = await readPillar(ws.pillarPath);
    if (o.reviewedSha256 && file.sha256 !== o.reviewedSha256) {
      throw new UserError(`${file.path} changed since you reviewed the change; nothing was written`, {
        where: { file: file.path },
        hint: 'go back and review again: the diff is made from the current file',
      });
    }
    const existing = file.model.vms.find((e) => e.name === vm);
    if (existing && (existing.node !== node || !o.update)) {
      throw new UserError(`VM '${vm}' already exists on compute node '${existing.node}'`, {
        where: { file: file.path, line: existing.line },
        hint:
          existing.node === node
            ? 'pass --update to change its keys, or pick another name'
            : 'names are unique across compute nodes: pick another name (moving a VM is destroy + add)',
      });
    }
    if (!existing && o.update) {
      throw new UserError(`VM '${vm}' is not in ${file.path}, so there is nothing to update`, {
        where: { field: '--update' },
        hint: 'drop --update to add it',
      });
    }
    const store = await ws.store.values.readAll();
    const draft = draftEntry(ws, file, store, node, vm, given);
    const errors = draft.mine.filter((f) => f.severity === 'error');
    for (const f of draft.mine) if (f.severity === 'warning') o.reporter?.finding(f);
    if (errors.length) {
      const list = errors.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n');
      throw new UserError(`the entry of ${vm} is not valid; nothing was written:\n${list}`, {
        where: { file: file.path },
        hint: 'change the flags above and run again',
      });
    }
    if (draft.otherErrors) {
      o.reporter?.warn(`${file.path} has ${draft.otherErrors} other error(s) that this entry does not depend on; run lxc-wizard validate`);
    }
    if (o.dryRun) return { diff: draft.diff, allocated: undefined };
    const state = await ws.store.values.update(node, (current) =>
      allocateVm(draft.after.model, node, vm, draft.rd.defaults, current, cryptoRandom),
    );
    await writeFileAtomic(file.path, draft.after.text, { expectedSha256: file.sha256, backup: o.backup });
    return { diff: draft.diff, allocated: state[vm] };
  });
}
