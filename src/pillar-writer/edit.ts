import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, stringify, type Node, type Pair } from 'yaml';
import { UserError } from '../core/errors.js';
import { PILLAR_KEYS } from '../core/model.js';
import { columnOf, parsedBefore, parsePillar, vmKey, type KnownParses, type PillarFile } from './read.js';
import { SALT_YAML, saltEqual } from './yaml-salt.js';

/**
 * Edits are text splices on the original bytes, never a re-serialisation: every byte outside the
 * edited entry stays as it was (comments, spacing, quoting). Each result is re-parsed and checked
 * before anyone may write it.
 */

export type Entry = Record<string, unknown>;

interface Splice {
  start: number;
  end: number;
  text: string;
}

function applySplices(text: string, splices: Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

const eolOf = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n');

function nextLineStart(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i + 1;
}

/** End of a node's own text (no trailing blank lines or comments). */
function contentEnd(text: string, n: Node | null | undefined, fallback: number): number {
  let end = n?.range ? n.range[1] : fallback;
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  return Math.max(end, fallback);
}

function pairEnd(text: string, p: Pair): number {
  const keyEnd = (p.key as Node).range![1];
  return contentEnd(text, p.value as Node | null, keyEnd);
}

/** Position just after the ':' that follows a block-map key. */
function afterColon(text: string, p: Pair): number {
  const i = text.indexOf(':', (p.key as Node).range![1]);
  return i + 1;
}

export function formatScalar(v: unknown): string {
  return stringify(v, { ...SALT_YAML, lineWidth: 0 }).trimEnd();
}

function formatValue(v: unknown): string {
  if (v !== null && typeof v === 'object')
    return stringify(v, { ...SALT_YAML, lineWidth: 0, collectionStyle: 'flow', flowCollectionPadding: false }).trimEnd();
  return formatScalar(v);
}

function entryLines(entry: Entry, col: number, eol: string): string {
  return Object.entries(entry)
    .map(([k, v]) => `${' '.repeat(col)}${formatScalar(k)}: ${formatValue(v)}${eol}`)
    .join('');
}

/** ` {}` or a newline and the entry as block lines: the text after `name:`. */
function entryBody(entry: Entry, col: number, eol: string): string {
  return Object.keys(entry).length === 0 ? ' {}' : eol + entryLines(entry, col, eol).slice(0, -eol.length);
}

/** Insert `chunk` (whole lines) after the line where `offset` stands, minding a missing final newline. */
function insertAfterLine(text: string, offset: number, chunk: string, eol: string): Splice {
  const at = nextLineStart(text, offset);
  const needsEol = at === text.length && text.length > 0 && !text.endsWith('\n');
  return { start: at, end: at, text: (needsEol ? eol : '') + chunk };
}

function appendTopLevel(text: string, key: string, body: string, eol: string): Splice {
  const sep = text.length === 0 || text.endsWith('\n') ? '' : eol;
  return { start: text.length, end: text.length, text: `${sep}${formatScalar(key)}:${body}${eol}` };
}

/**
 * The file with `vm` on `node` holding exactly `entry` (added, or updated key by key): the new
 * text, parsed as Salt reads it and verified (the parse the verification made, not a second one).
 */
export function upsertVm(file: PillarFile, node: string, vm: string, entry: Entry, known: KnownParses = []): PillarFile {
  assertEditable(file);
  assertNoJinja(entry, vm);
  const { text, index } = file;
  const eol = eolOf(text);
  const unit = index.indentUnit;
  const splices: Splice[] = [];
  const existing = index.vmPairs.get(vmKey(node, vm));

  if (existing) {
    if (existing.uneditable) refuseShared(file, existing.pair, existing.uneditable);
    const vmPair = existing.pair;
    const v = vmPair.value as Node | null;
    const vmCol = columnOf(text, (vmPair.key as Node).range![0]);
    if (isMap(v) && !v.flow && v.items.length > 0) {
      const items = v.items as Pair[];
      const col = columnOf(text, (items[0]!.key as Node).range![0]);
      const present = new Set<string>();
      for (const it of items) {
        const k = String((it.key as { value?: unknown }).value);
        present.add(k);
        if (!(k in entry)) {
          // The key's own lines go; comments above it stay.
          const start = (it.key as Node).range![0] - columnOf(text, (it.key as Node).range![0]);
          splices.push({ start, end: nextLineStart(text, pairEnd(text, it)), text: '' });
          continue;
        }
        const oldValue = it.value ? (it.value as Node).toJS(file.doc!) : null;
        if (isDeepStrictEqual(oldValue, entry[k])) continue;
        const val = it.value as Node | null;
        if (isScalar(val) && val.range && (entry[k] === null || typeof entry[k] !== 'object')) {
          splices.push({ start: val.range[0], end: val.range[1], text: formatScalar(entry[k]) });
        } else {
          splices.push({ start: afterColon(text, it), end: pairEnd(text, it), text: ' ' + formatValue(entry[k]) });
        }
      }
      const added = Object.fromEntries(Object.entries(entry).filter(([k]) => !present.has(k)));
      if (Object.keys(added).length)
        splices.push(insertAfterLine(text, pairEnd(text, items[items.length - 1]!) - 1, entryLines(added, col, eol), eol));
    } else {
      if (isMap(v) && v.flow && hasComment(text, v)) refuseFlow(file, vmPair);
      splices.push({ start: afterColon(text, vmPair), end: pairEnd(text, vmPair), text: entryBody(entry, vmCol + unit, eol) });
    }
  } else {
    const nodeMaps = index.nodePairs.get(node) ?? [];
    const decl = file.model.nodes.get(node);
    const target = nodeMaps[0];
    if (target) {
      if (target.uneditable) refuseShared(file, target.pair, target.uneditable);
      const np = target.pair;
      const nv = np.value as Node | null;
      if (nv !== null && !isMap(nv) && !(isScalar(nv) && (nv.value === null || nv.value === undefined))) {
        const line = file.lineCounter.linePos((np.key as Node).range![0]).line;
        throw new UserError(
          `the value of ${String((np.key as { value?: unknown }).value)} is ${isScalar(nv) ? 'a scalar' : 'a list'}, not a mapping of VMs`,
          {
            where: { file: file.path, line },
            hint: 'make it a mapping (one VM name per line, or {} for none), then run the command again',
          },
        );
      }
      const topCol = columnOf(text, (np.key as Node).range![0]);
      if (isMap(nv) && !nv.flow && nv.items.length > 0) {
        const items = nv.items as Pair[];
        const col = columnOf(text, (items[0]!.key as Node).range![0]);
        const chunk = `${' '.repeat(col)}${formatScalar(vm)}:${entryBody(entry, col + unit, eol)}${eol}`;
        splices.push(insertAfterLine(text, pairEnd(text, items[items.length - 1]!) - 1, chunk, eol));
      } else {
        if (isMap(nv) && nv.items.length > 0) refuseFlow(file, np);
        const col = topCol + unit;
        splices.push({
          start: afterColon(text, np),
          end: pairEnd(text, np),
          text: `${eol}${' '.repeat(col)}${formatScalar(vm)}:${entryBody(entry, col + unit, eol)}`,
        });
      }
    } else if (decl?.forms.includes('flat')) {
      splices.push(appendTopLevel(text, `${PILLAR_KEYS.vms}${node}.${vm}`, entryBody(entry, index.topCol + unit, eol), eol));
    } else {
      const col = index.topCol + unit;
      splices.push(
        appendTopLevel(
          text,
          `${newNodeKey(file)}${node}`,
          `${eol}${' '.repeat(col)}${formatScalar(vm)}:${entryBody(entry, col + unit, eol)}`,
          eol,
        ),
      );
    }
  }
  return verifyEdit(file, applySplices(text, splices), node, vm, entry, known);
}

/** The file without `vm` on `node`, parsed and verified. Comments above the entry stay; its own lines go. */
export function removeVm(file: PillarFile, node: string, vm: string): PillarFile {
  assertEditable(file);
  const { text, index } = file;
  const loc = index.vmPairs.get(vmKey(node, vm));
  if (!loc)
    throw new UserError(`VM '${vm}' is not in ${file.path} under compute node '${node}'`, {
      where: { file: file.path, field: 'VM' },
      hint: 'run `lxc-wizard list` to see the VMs and their nodes',
    });
  if (loc.form !== 'flat') {
    const parent = index.nodePairs.get(node)?.find((np) => isMap(np.pair.value) && (np.pair.value.items as Pair[]).includes(loc.pair));
    if (parent && isMap(parent.pair.value) && parent.pair.value.flow) refuseFlow(file, parent.pair);
  }
  const keyStart = (loc.pair.key as Node).range![0];
  const start = keyStart - columnOf(text, keyStart);
  return verifyEdit(
    file,
    applySplices(text, [{ start, end: nextLineStart(text, pairEnd(text, loc.pair)), text: '' }]),
    node,
    vm,
    undefined,
  );
}

const JINJA_MARK = /\{%|\{\{|\{#/;

/** Salt renders pillar files through Jinja first: a written '{{' would be evaluated, not stored. */
function assertNoJinja(entry: Entry, vm: string): void {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string' && JINJA_MARK.test(v)) {
      throw new UserError(`the value of ${path} contains a Jinja delimiter ({{, {% or {#), which Salt's renderer would evaluate`, {
        where: { field: path },
        hint: 'choose a value without {{, {% or {#',
      });
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        walk(k, `${path} key`);
        walk(x, `${path}.${k}`);
      }
  };
  for (const [k, v] of Object.entries(entry)) {
    walk(k, `${vm} key`);
    walk(v, k);
  }
}

/**
 * The key form for a node the file does not mention yet: the one the file already uses. The code
 * the original ran reads only `makina-states.cloud.lxc.vms.<cn>`; the seed's documented
 * `…services.cloud.lxc.targets.<cn>` is kept for files that use it, and for an empty file.
 */
export function newNodeKey(file: PillarFile): string {
  const forms = new Set([...file.model.nodes.values()].flatMap((n) => n.forms));
  if (forms.has('vms') || (forms.has('flat') && !forms.has('targets'))) return PILLAR_KEYS.vms;
  return PILLAR_KEYS.targets;
}

function refuseShared(file: PillarFile, p: Pair, why: string): never {
  const line = file.lineCounter.linePos((p.key as Node).range![0]).line;
  throw new UserError(`${why}; editing it would change every entry that shares it, so lxc-wizard does not`, {
    where: { file: file.path, line },
    hint: 'write the entry out in full (without the alias, anchor or merge), or edit it by hand',
  });
}

function hasComment(text: string, n: Node): boolean {
  return n.range ? text.slice(n.range[0], n.range[1]).includes('#') : false;
}

function refuseFlow(file: PillarFile, p: Pair): never {
  const line = file.lineCounter.linePos((p.key as Node).range![0]).line;
  throw new UserError('this mapping is written in flow style ({…}) with several entries or comments; lxc-wizard edits block style only', {
    where: { file: file.path, line },
    hint: 'rewrite it in block style (one key per line) and run the command again',
  });
}

export function assertEditable(file: PillarFile): void {
  const b = file.editBlocker;
  if (b) throw new UserError(`${b.message}; the file is not edited`, { where: b.where, hint: b.hint ?? 'fix the file first' });
}

/** The top-level keys an entry of `vm` on `node` may live under, in its three forms. */
function entryKeys(node: string, vm: string): { nodeKeys: string[]; flat: string } {
  return { nodeKeys: [`${PILLAR_KEYS.targets}${node}`, `${PILLAR_KEYS.vms}${node}`], flat: `${PILLAR_KEYS.vms}${node}.${vm}` };
}

/** The document as Salt loads it, without the one entry being edited (a node key emptied by that is dropped). */
function restOf(file: PillarFile, node: string, vm: string): unknown {
  // An empty file and an empty mapping are the same pillar to Salt.
  const data = file.data === null || file.data === undefined ? new Map() : file.data;
  if (!(data instanceof Map)) return data;
  const { nodeKeys, flat } = entryKeys(node, vm);
  const out = new Map(data);
  out.delete(flat);
  for (const k of nodeKeys) {
    const v = out.get(k);
    if (v instanceof Map && v.has(vm)) {
      const rest = new Map(v);
      rest.delete(vm);
      out.set(k, rest);
    }
    // `node: {}`, `node:` and no node key at all hold the same VMs
    const now = out.get(k);
    if (out.has(k) && (now === null || (now instanceof Map && now.size === 0))) out.delete(k);
  }
  return out;
}

/**
 * Re-parse the spliced text as Salt would: it must parse, hold exactly the intended entry, and every
 * other byte of meaning must be unchanged (every other entry, every other key, whatever its form).
 */
function verifyEdit(
  before: PillarFile,
  text: string,
  node: string,
  vm: string,
  entry: Entry | undefined,
  known: KnownParses = [],
): PillarFile {
  // The checks below always run; the parse of the very same text (the review's draft of this
  // edit, for the write that follows it) may serve again: it depends on the path and text alone.
  const after = parsedBefore(known, before.path, text) ?? parsePillar(before.path, text);
  const refuse = (why: string): never => {
    throw new UserError(`the edit of ${vm} would not read back as intended (${why}); ${before.path} was not written`, {
      where: { file: before.path },
      hint: 'the file uses a construct lxc-wizard cannot edit safely here; add the entry by hand, or rewrite that part in plain block style',
    });
  };
  if (after.editBlocker) refuse(after.editBlocker.message);
  const found = after.model.vms.filter((e) => e.node === node && e.name === vm);
  if (entry === undefined) {
    if (found.length) refuse('the entry is still there');
  } else if (found.length !== 1 || !isDeepStrictEqual(normalise(found[0]!.keys), normalise(entry)))
    refuse('the entry reads back differently');
  if (!saltEqual(restOf(before, node, vm), restOf(after, node, vm))) refuse('other keys of the file would change as Salt reads them');
  return after;
}

function normalise(o: Entry): Entry {
  return JSON.parse(JSON.stringify(o)) as Entry;
}
