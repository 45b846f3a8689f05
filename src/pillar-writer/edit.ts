import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, stringify, type Node, type Pair } from 'yaml';
import { UserError } from '../core/errors.js';
import { PILLAR_KEYS, type PillarModel } from '../core/model.js';
import { columnOf, parsePillar, vmKey, type PillarFile } from './read.js';

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
  return stringify(v, { version: '1.1', lineWidth: 0 }).trimEnd();
}

function formatValue(v: unknown): string {
  if (v !== null && typeof v === 'object')
    return stringify(v, { version: '1.1', lineWidth: 0, collectionStyle: 'flow', flowCollectionPadding: false }).trimEnd();
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

/** The new text with `vm` on `node` holding exactly `entry` (added, or updated key by key). */
export function upsertVmText(file: PillarFile, node: string, vm: string, entry: Entry): string {
  assertEditable(file);
  assertNoJinja(entry, vm);
  const { text, index } = file;
  const eol = eolOf(text);
  const unit = index.indentUnit;
  const splices: Splice[] = [];
  const existing = index.vmPairs.get(vmKey(node, vm));

  if (existing) {
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
      const np = target.pair;
      const nv = np.value as Node | null;
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
          `${PILLAR_KEYS.targets}${node}`,
          `${eol}${' '.repeat(col)}${formatScalar(vm)}:${entryBody(entry, col + unit, eol)}`,
          eol,
        ),
      );
    }
  }
  const out = applySplices(text, splices);
  verifyEdit(file, out, node, vm, entry);
  return out;
}

/** The new text without `vm` on `node`. Comments above the entry stay; its own lines go. */
export function removeVmText(file: PillarFile, node: string, vm: string): string {
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
  const out = applySplices(text, [{ start, end: nextLineStart(text, pairEnd(text, loc.pair)), text: '' }]);
  verifyEdit(file, out, node, vm, undefined);
  return out;
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

function sameModelExcept(a: PillarModel, b: PillarModel, node: string, vm: string): string | undefined {
  const key = (e: { node: string; name: string }) => `${e.node}\0${e.name}`;
  const skip = key({ node, name: vm });
  const bm = new Map(b.vms.map((e) => [key(e), e]));
  for (const e of a.vms) {
    if (key(e) === skip) continue;
    const o = bm.get(key(e));
    if (!o || !isDeepStrictEqual(o.keys, e.keys)) return `entry ${e.name} on ${e.node} changed`;
  }
  if (b.vms.filter((e) => key(e) !== skip).length !== a.vms.filter((e) => key(e) !== skip).length) return 'the number of entries changed';
  if (!isDeepStrictEqual(Object.keys(a.defaults).sort(), Object.keys(b.defaults).sort())) return 'the defaults changed';
  for (const n of a.nodes.keys()) if (!b.nodes.has(n)) return `compute node ${n} disappeared`;
  return undefined;
}

/** Re-parse the spliced text: it must parse, hold exactly the intended entry, and nothing else may move. */
function verifyEdit(before: PillarFile, text: string, node: string, vm: string, entry: Entry | undefined): void {
  const after = parsePillar(before.path, text);
  const fail = (why: string): never => {
    throw new Error(`internal error: the edit of ${vm} did not read back (${why}); ${before.path} was not written`);
  };
  if (after.editBlocker) fail(after.editBlocker.message);
  const found = after.model.vms.filter((e) => e.node === node && e.name === vm);
  if (entry === undefined) {
    if (found.length) fail('the entry is still there');
  } else if (found.length !== 1 || !isDeepStrictEqual(normalise(found[0]!.keys), normalise(entry)))
    fail('the entry reads back differently');
  const diff = sameModelExcept(before.model, after.model, node, vm);
  if (diff) fail(diff);
}

function normalise(o: Entry): Entry {
  return JSON.parse(JSON.stringify(o)) as Entry;
}
