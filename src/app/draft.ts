import { resolveDefaults, type ResolvedDefaults } from '../core/defaults.js';
import { countBySeverity, type Finding } from '../core/findings.js';
import { findVm, type StoreSnapshot } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import type { VmSettings } from '../core/settings.js';
import { validatePillar } from '../core/validate.js';
import { pillarDiff } from '../pillar-writer/diff.js';
import { upsertVm, type Entry } from '../pillar-writer/edit.js';
import type { KnownParses, PillarFile } from '../pillar-writer/read.js';
import type { Workspace } from './workspace.js';

const DEFAULT_CODES = new Set(['bad-default', 'bad-network']);

/** An entry as it would be written: the new text, what it means, and what validation says of it. */
export interface Draft {
  before: PillarFile;
  after: PillarFile;
  /** the whole entry written (the existing keys plus the given ones, for an update) */
  entry: Entry;
  rd: ResolvedDefaults;
  /** findings about this VM (and its node's name) */
  mine: Finding[];
  /** errors elsewhere in the file, which this entry does not depend on */
  otherErrors: number;
  diff: string;
  settings: VmSettings;
}

/**
 * Splice the entry into the text, parse the result once, resolve defaults, validate and resolve
 * the VM's settings: what `add` writes and what the wizard's review shows, computed the same way.
 */
export function draftEntry(
  ws: Workspace,
  before: PillarFile,
  store: StoreSnapshot,
  node: string,
  vm: string,
  given: Entry,
  /** parses held already: the edit's new text is parsed again only if none is of it */
  known?: KnownParses,
): Draft {
  const existing = findVm(before.model, node, vm);
  const entry = existing ? { ...existing.keys, ...given } : given;
  const after = upsertVm(before, node, vm, entry, known);
  const rd = resolveDefaults(after.model, ws.settings.env);
  const findings = validatePillar(after.model, ws.settings.env, store, rd);
  // This VM's findings, its node's name, and broken defaults (every VM of the file depends on them).
  const mine = findings.filter(
    (f) => f.vm === vm || (f.node === node && f.code === 'bad-node-name') || (!f.vm && DEFAULT_CODES.has(f.code)),
  );
  const e = findVm(after.model, node, vm)!;
  const [settings] = resolveNodeSettings(after.model, node, rd, ws.settings, store.get(node) ?? {}, e) as [VmSettings];
  return {
    before,
    after,
    entry,
    rd,
    mine,
    otherErrors: countBySeverity(findings.filter((f) => !mine.includes(f))).errors,
    diff: pillarDiff(before, after),
    settings,
  };
}
