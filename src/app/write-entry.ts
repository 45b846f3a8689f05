import { randomBytes, randomInt } from 'node:crypto';
import { allocateVm, type RandomSource } from '../core/allocation.js';
import { ExitCode, UserError } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';
import type { NodeState, StoredVm } from '../core/model.js';
import { prepareAtomicWrite } from '../pillar-writer/atomic-write.js';
import type { Entry } from '../pillar-writer/edit.js';
import { withLock } from '../pillar-writer/lock.js';
import { readPillar, type KnownParses, type PillarFile } from '../pillar-writer/read.js';
import { readTextFile } from '../pillar-writer/safe-file.js';
import { fieldProblem } from '../core/fields.js';
import { draftEntry, type Draft } from './draft.js';
import { blockerError, type Reporter, type Workspace } from './workspace.js';

export type { Entry };

export const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n), int: (max) => randomInt(max) };

export interface WriteOptions {
  /** the VM exists: change the given keys, keep the others */
  update: boolean;
  dryRun?: boolean;
  backup?: boolean;
  /** the file holds no makina-states key, and the operator means it anyway (--force-pillar) */
  forcePillar?: boolean;
  /** the content the operator reviewed: refuse if the file no longer has it */
  reviewedSha256?: string;
  /** parses the caller holds (the file it reviewed, the review's draft): used again for the same bytes */
  known?: KnownParses;
  reporter?: Pick<Reporter, 'finding' | 'warn'>;
}

export interface WriteResult {
  diff: string;
  /** what the store now holds for the VM (undefined for a dry run) */
  allocated: StoredVm | undefined;
  /** the pillar as written, read back as Salt reads it (undefined for a dry run) */
  written: PillarFile | undefined;
}

/**
 * A password from a file (it never appears in argv): a regular UTF-8 file holding it on one line,
 * a final newline allowed.
 */
export async function readPasswordFile(path: string): Promise<string> {
  const { text } = await readTextFile(path, { what: 'password file', field: '--password-file', maxBytes: 4096 });
  const password = text.replace(/\r?\n$/, '');
  const problem = fieldProblem('password', password);
  if (problem) {
    throw new UserError(`the password in ${path} ${problem}`, {
      where: { file: path, field: '--password-file' },
      hint: 'the file holds the password on one line, without a colon',
      exitCode: ExitCode.USAGE,
    });
  }
  return password;
}

/**
 * Validate and write one VM entry, allocating its generated values: the one write path of `add`
 * and the wizard. Lock first, then read, so two writers queue instead of losing an entry. A dry
 * run takes no lock and writes nothing, so it needs no write access anywhere.
 */
export async function writeEntry(ws: Workspace, node: string, vm: string, given: Entry, o: WriteOptions): Promise<WriteResult> {
  if (o.dryRun) {
    const draft = await prepare(ws, await readPillar(ws.pillarPath, o.known), node, vm, given, o);
    return { diff: draft.diff, allocated: undefined, written: undefined };
  }
  return withLock(ws.pillarPath, async () => {
    const file = await readPillar(ws.pillarPath, o.known);
    const draft = await prepare(ws, file, node, vm, given, o);
    // The new pillar is on disk (not yet in place) before the store changes: what can fail
    // (space, permissions) fails first, and nothing has changed anywhere.
    const write = await prepareAtomicWrite(file.path, draft.after.text, {
      expectedSha256: file.sha256,
      backup: o.backup,
      keepAttributes: true,
    });
    let previous: StoredVm | undefined;
    let change;
    try {
      change = await ws.store.values.change(node, (current) => {
        previous = current[vm];
        return allocateVm(draft.after.model, node, vm, draft.rd.defaults, current, cryptoRandom);
      });
    } catch (err) {
      await write.abort();
      throw err;
    }
    try {
      await write.commit();
    } catch (err) {
      await write.abort();
      await rollBack(ws, node, vm, () => change.undo((current) => revertVm(current, vm, previous)), change.value[vm], err);
    }
    return { diff: draft.diff, allocated: change.value[vm], written: draft.after };
  });
}

function revertVm(current: NodeState, vm: string, previous: StoredVm | undefined): NodeState {
  const next = { ...current };
  if (previous === undefined) delete next[vm];
  else next[vm] = previous;
  return next;
}

/** Everything checked before anything is written or allocated. */
async function prepare(ws: Workspace, file: PillarFile, node: string, vm: string, given: Entry, o: WriteOptions): Promise<Draft> {
  if (o.reviewedSha256 && file.sha256 !== o.reviewedSha256) {
    throw new UserError(`${file.path} changed since you reviewed the change; nothing was written`, {
      where: { file: file.path },
      hint: 'go back and review again: the diff is made from the current file',
    });
  }
  if (file.editBlocker) throw blockerError(file.editBlocker, 'the file is not edited');
  // A new pillar: an empty file, or a Salt file (.sls) with comments only. Anything else must hold a
  // makina-states key: a comments-only /etc/hosts.allow is not a pillar to append YAML to.
  const holdsNothing = file.data === null || file.data === undefined || (file.data instanceof Map && file.data.size === 0);
  const newPillar = !file.text.trim() || (holdsNothing && file.path.endsWith('.sls'));
  if (!newPillar && !file.index.makinaKeys && !o.forcePillar) {
    throw new UserError(`${file.path} holds no makina-states.* key, so it does not look like a makina-states pillar; it was not edited`, {
      where: { file: file.path, field: '--pillar' },
      hint: 'check the path; if you do mean this file, pass --force-pillar',
      exitCode: ExitCode.USAGE,
    });
  }
  if (file.facts && file.facts.nlink > 1) {
    throw new UserError(`${file.path} has ${file.facts.nlink} hard links; replacing it would split them, so it was not edited`, {
      where: { file: file.path },
      hint: 'make it a single file first (cp FILE FILE.new && mv FILE.new FILE), or edit the name the others point to by hand',
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
  const draft = draftEntry(ws, file, store, node, vm, given, o.known);
  const errors = draft.mine.filter((f) => f.severity === 'error');
  for (const f of draft.mine) if (f.severity === 'warning') o.reporter?.finding(f);
  if (errors.length) {
    const list = errors.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n');
    throw new UserError(`the entry of ${vm} is not valid; nothing was written:\n${list}`, {
      where: { file: file.path },
      hint: 'change the flags above and run again',
    });
  }
  if (draft.otherErrors)
    o.reporter?.warn(`${file.path} has ${draft.otherErrors} other error(s) that this entry does not depend on; run lxc-wizard validate`);
  if (typeof given.password === 'string' && file.facts && file.facts.mode & 0o044) {
    o.reporter?.warn(
      `${file.path} is readable by ${file.facts.mode & 0o004 ? 'everyone' : 'its group'} (mode ${(file.facts.mode & 0o777).toString(8)}) and now holds a password; chmod 600 it, or leave the password out: a generated one is kept in the 0600 store`,
    );
  }
  return draft;
}

/**
 * The pillar write failed after the store took the VM's values: give back what this write took,
 * so the store says nothing the pillar does not. If even that fails, say exactly what was kept.
 */
async function rollBack(
  ws: Workspace,
  node: string,
  vm: string,
  undo: () => Promise<void>,
  taken: StoredVm | undefined,
  cause: unknown,
): Promise<never> {
  try {
    await undo();
  } catch (err) {
    const kept = taken ? Object.keys(taken).filter((k) => k !== 'pillar' && k !== 'password') : [];
    const what = [...kept, ...(taken?.password ? ['a password'] : [])].join(', ');
    const first = cause instanceof Error ? cause.message : String(cause);
    throw new UserError(
      `${ws.pillarPath} was not written (${first}), and the values allocated for ${vm} (${what}) stay in ${ws.store.values.fileOf(node)} because that could not be undone either (${(err as Error).message})`,
      {
        where: { file: ws.pillarPath },
        hint: `fix the cause and run the same command again: it reuses those values; or release them with lxc-wizard forget ${node} ${vm}`,
      },
    );
  }
  throw cause;
}
