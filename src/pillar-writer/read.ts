import { createHash } from 'node:crypto';
import { isAlias, isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ExitCode } from '../core/errors.js';
import { FIELDS } from '../core/fields.js';
import type { Finding } from '../core/findings.js';
import { emptyModel, PILLAR_KEYS, type KeyForm, type PillarModel, type VmEntry } from '../core/model.js';
import { readTextFile, type FileFacts, type TextFile } from './safe-file.js';
import { nodeProblems, SALT_YAML, saltValue, strayTab, textProblem } from './yaml-salt.js';

/** Where the editor finds things: the pairs behind each node and VM, and whether it may edit them. */
export interface PillarIndex {
  /** per node, the top-level pairs whose value maps VMs (targets and vms forms) */
  nodePairs: Map<string, { form: 'targets' | 'vms'; pair: Pair; uneditable?: string }[]>;
  /** per `node\0vm`, the pair whose value is the VM entry */
  vmPairs: Map<string, { form: KeyForm; pair: Pair; uneditable?: string }>;
  /** columns: top-level keys and one indentation step */
  topCol: number;
  indentUnit: number;
  /** at least one top-level key starts with `makina-states.` */
  makinaKeys: boolean;
}

export interface PillarFile {
  /** the real path (links resolved) */
  path: string;
  text: string;
  sha256: string;
  /** mode, owner and link count of the file as read (undefined for text that came from nowhere) */
  facts: FileFacts | undefined;
  doc: Document.Parsed | undefined;
  /** the whole document as Salt loads it (maps as Maps); undefined when the file is refused */
  data: unknown;
  lineCounter: LineCounter;
  model: PillarModel;
  index: PillarIndex;
  /** set when the file must not be edited: Jinja, YAML errors, duplicate keys, what Salt reads differently */
  editBlocker: Finding | undefined;
}

export const vmKey = (node: string, vm: string) => `${node}\0${vm}`;

/**
 * Read a pillar file (the real path: resolve links first) as Salt would. When its bytes are those
 * of a file parsed before (`known`: same path, same text), that parse serves with the facts
 * just read: the parse depends on the path and the text alone, and a 10,000-VM pillar takes a
 * second to parse where reading and comparing it takes milliseconds.
 */
export async function readPillar(path: string, known: KnownParses = []): Promise<PillarFile> {
  const f = await readPillarText(path);
  const same = parsedBefore(known, path, f.text);
  return same ? { ...same, facts: f.facts } : parsePillar(path, f.text, f.facts);
}

/** Parses of a pillar held already (undefined entries are skipped). */
export type KnownParses = readonly (PillarFile | undefined)[];

/** The parse among `known` of this very text under this path, if any (the text itself compared: no hash needed). */
export function parsedBefore(known: KnownParses, path: string, text: string): PillarFile | undefined {
  return known.find((k) => k?.path === path && k.text === text);
}

/** The bytes of a pillar file, read with the checks every pillar read makes (parsePillar parses them). */
export function readPillarText(path: string): Promise<TextFile> {
  return readTextFile(path, { what: 'pillar file', field: '--pillar', exitCode: ExitCode.USAGE });
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const JINJA = /\{%|\{\{|\{#/;

export function parsePillar(path: string, text: string, facts?: FileFacts): PillarFile {
  const lineCounter = new LineCounter();
  const model = emptyModel(path);
  const index: PillarIndex = { nodePairs: new Map(), vmPairs: new Map(), topCol: 0, indentUnit: 2, makinaKeys: false };
  const base = { path, text, sha256: sha256(text), facts, lineCounter, model, index, data: undefined as unknown };
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const refuse = (f: Finding, doc?: Document.Parsed): PillarFile => {
    model.findings.push(f);
    return { ...base, doc, editBlocker: f };
  };

  const jinjaAt = text.search(JINJA);
  if (jinjaAt >= 0) {
    return refuse({
      severity: 'error',
      code: 'jinja',
      where: { file: path, line: lineAt(jinjaAt) },
      message: 'this pillar file is a Jinja template; lxc-wizard reads and edits plain YAML only',
      hint: 'keep the LXC entries in a plain .sls file and include it from the templated one',
    });
  }
  const tp = textProblem(text);
  if (tp)
    return refuse({ severity: 'error', code: tp.code, where: { file: path, line: lineAt(tp.offset) }, message: tp.message, hint: tp.hint });

  const doc = parseDocument(text, { ...SALT_YAML, lineCounter, keepSourceTokens: false, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  let editBlocker: Finding | undefined;
  for (const e of doc.errors) {
    const dup = e.code === 'DUPLICATE_KEY';
    const f: Finding = {
      severity: 'error',
      code: dup ? 'duplicate-key' : 'yaml',
      where: { file: path, line: lineOf(e.pos[0]) },
      message: e.message.split('\n')[0]!,
      hint: dup
        ? 'Salt refuses a key given twice (conflicting ID): merge them into one'
        : 'fix the YAML syntax; the file is left untouched until it parses',
    };
    model.findings.push(f);
    editBlocker ??= f;
  }
  for (const w of doc.warnings)
    model.findings.push({
      severity: 'warning',
      code: 'yaml',
      where: { file: path, line: lineOf(w.pos[0]) },
      message: w.message.split('\n')[0]!,
    });
  if (editBlocker) return { ...base, doc, editBlocker };
  const tab = strayTab(text, doc);
  if (tab !== undefined) {
    return refuse(
      {
        severity: 'error',
        code: 'tab',
        where: { file: path, line: lineOf(tab) },
        message: 'a tab stands where Salt reads whitespace between YAML tokens, which it refuses',
        hint: 'replace the tab with spaces (tabs are kept only inside quoted values and comments)',
      },
      doc,
    );
  }
  for (const p of nodeProblems(doc)) {
    const f: Finding = {
      severity: 'error',
      code: p.code,
      where: { file: path, line: lineOf(p.node.range?.[0] ?? 0) },
      message: p.message,
      hint: p.hint,
    };
    model.findings.push(f);
    editBlocker ??= f;
  }
  if (editBlocker) return { ...base, doc, editBlocker };

  let data: unknown;
  try {
    data = saltValue(doc);
  } catch (err) {
    // The library refuses to expand more aliases than its limit (an alias bomb, billion laughs);
    // a mapping that merges itself recurses without end.
    // Anything else the library cannot build (a merge of a list of scalars…) Salt refuses too.
    if (!(err instanceof Error)) throw err;
    const bomb = err instanceof ReferenceError;
    const loop = err instanceof RangeError;
    return refuse(
      {
        severity: 'error',
        code: bomb ? 'alias-bomb' : loop ? 'recursive-alias' : 'yaml',
        where: { file: path },
        message: bomb
          ? `the file expands too many aliases (${err.message.split('\n')[0]})`
          : loop
            ? 'an alias or merge in the file refers to itself'
            : `the file cannot be read as Salt would: ${err.message.split('\n')[0]}`,
        hint:
          bomb || loop
            ? 'a pillar does not need that: write the values out'
            : 'fix the YAML at that place; the file is left untouched until it reads',
      },
      doc,
    );
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return { ...base, doc, data, editBlocker };
  if (!isMap(root)) {
    return refuse(
      {
        severity: 'error',
        code: 'not-a-mapping',
        where: { file: path, line: lineOf(root.range?.[0] ?? 0) },
        message: 'the pillar file must be a mapping of keys',
        hint: 'a pillar .sls file is a YAML mapping (key: value)',
      },
      doc,
    );
  }
  extract(root, doc, text, path, model, index, lineOf);
  return { ...base, doc, data, editBlocker };
}

function keyText(p: Pair): string | undefined {
  return isScalar(p.key) && p.key.value !== null && p.key.value !== undefined ? String(p.key.value) : undefined;
}

function isNullish(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && (n.value === null || n.value === undefined));
}

/** A map that holds VM settings (Form B) rather than VMs (Form A). */
function looksLikeSettings(v: unknown): boolean {
  if (!isMap(v)) return false;
  return v.items.some((p) => {
    const k = keyText(p as Pair);
    return k !== undefined && !k.includes('.') && Object.hasOwn(FIELDS, k);
  });
}

const mergeKey = (p: Pair) => isScalar(p.key) && typeof p.key.value === 'symbol';

function extract(
  root: YAMLMap,
  doc: Document.Parsed,
  text: string,
  file: string,
  model: PillarModel,
  index: PillarIndex,
  lineOf: (o: number) => number,
) {
  const pairs = root.items as Pair[];
  const first = pairs[0];
  if (first && (first.key as Node | null)?.range) index.topCol = columnOf(text, (first.key as Node).range![0]);
  const explicitNodes = new Set<string>();
  const vmsKeys: { rest: string; pair: Pair }[] = [];
  /** a value as Salt sees it: an alias is its anchor's node */
  const deref = (v: unknown): unknown => (isAlias(v) ? v.resolve(doc) : v);
  for (const p of pairs) {
    const k = keyText(p);
    if (k === undefined) continue;
    if (k.startsWith('makina-states.')) index.makinaKeys = true;
    if (k.startsWith(PILLAR_KEYS.targets)) explicitNodes.add(k.slice(PILLAR_KEYS.targets.length));
    else if (k.startsWith(PILLAR_KEYS.saltify)) explicitNodes.add(k.slice(PILLAR_KEYS.saltify.length));
    else if (k.startsWith(PILLAR_KEYS.vms)) vmsKeys.push({ rest: k.slice(PILLAR_KEYS.vms.length), pair: p });
  }
  // Form A (…vms.<cn>: {vm: …}) versus Form B (…vms.<cn>.<vm>: {ip: …}): dots never split a key,
  // so a Form B key is recognised by a known compute node id followed by '.'.
  // Candidates: declared nodes, and every vms key whose value is not settings-shaped; a candidate
  // that extends another candidate by '.<vm>' is that node's per-VM key, not a node.
  const candidates = new Set(explicitNodes);
  for (const { rest, pair } of vmsKeys) if (!looksLikeSettings(deref(pair.value))) candidates.add(rest);
  const longestNodePrefix = (r: string) => {
    let best: string | undefined;
    for (const n of candidates) if (n !== r && r.startsWith(n + '.') && (!best || n.length > best.length)) best = n;
    return best;
  };
  const nodeIds = new Set([...candidates].filter((c) => explicitNodes.has(c) || longestNodePrefix(c) === undefined));

  const declare = (name: string, line: number, form: KeyForm | undefined, saltify = false) => {
    let d = model.nodes.get(name);
    if (!d) model.nodes.set(name, (d = { name, line, forms: [], saltify: false }));
    if (form && !d.forms.includes(form)) d.forms.push(form);
    if (saltify) d.saltify = true;
  };
  const lineOfPair = (p: Pair) => lineOf((p.key as Node).range![0]);
  const toJS = (n: unknown) => (n as Node | null)?.toJS?.(doc, { maxAliasCount: SALT_YAML.maxAliasCount }) ?? null;

  const addVm = (node: string, name: string, form: KeyForm, pair: Pair, parentUneditable?: string) => {
    const raw = pair.value;
    const v = deref(raw);
    const line = lineOfPair(pair);
    if (!isNullish(v) && !isMap(v)) {
      model.findings.push({
        severity: 'error',
        code: 'bad-entry',
        where: { file, line },
        node,
        vm: name,
        message: `the entry of VM '${name}' must be a mapping (or {}), not a ${isScalar(v) ? 'scalar' : 'list'}`,
        hint: `write '${name}: {}' to use every default`,
      });
      return;
    }
    const keys: Record<string, unknown> = isMap(v) ? ((toJS(v) as Record<string, unknown> | null) ?? {}) : {};
    const keyLines: Record<string, number> = {};
    if (isMap(v)) {
      for (const it of v.items as Pair[]) {
        const kt = keyText(it);
        if (kt !== undefined && !mergeKey(it)) keyLines[kt] = lineOfPair(it);
      }
    }
    model.vms.push({ node, name, form, keys, line, keyLines } satisfies VmEntry);
    const uneditable =
      parentUneditable ??
      (isAlias(raw)
        ? `the entry of ${name} is an alias (*${raw.source}) to an entry it shares with others`
        : isMap(v) && (v.items as Pair[]).some(mergeKey)
          ? `the entry of ${name} merges another mapping (<<)`
          : isMap(v) && v.anchor
            ? `the entry of ${name} is an anchor (&${v.anchor}) other entries may share`
            : undefined);
    if (!index.vmPairs.has(vmKey(node, name))) index.vmPairs.set(vmKey(node, name), { form, pair, ...(uneditable ? { uneditable } : {}) });
  };

  const addNodeMap = (node: string, form: 'targets' | 'vms', pair: Pair) => {
    declare(node, lineOfPair(pair), form);
    const raw = pair.value;
    const v = deref(raw);
    const uneditable = isAlias(raw)
      ? `the VMs of ${node} are an alias (*${raw.source}), shared with another key`
      : isMap(v) && ((v.items as Pair[]).some(mergeKey) || v.anchor)
        ? `the VMs of ${node} are a mapping with an anchor or a merge (<<)`
        : undefined;
    const list = index.nodePairs.get(node) ?? [];
    list.push({ form, pair, ...(uneditable ? { uneditable } : {}) });
    index.nodePairs.set(node, list);
    if (isNullish(v)) return;
    if (!isMap(v)) {
      model.findings.push({
        severity: 'error',
        code: 'bad-node-entry',
        where: { file, line: lineOfPair(pair) },
        node,
        message: `the VMs of compute node '${node}' must be a mapping of VM names, not a ${isScalar(v) ? 'scalar' : 'list'}`,
        hint: `write '${keyText(pair)}: {}' for a node without VMs`,
      });
      return;
    }
    if (!v.flow && !isAlias(raw)) {
      const firstItem = v.items[0] as Pair | undefined;
      if (firstItem?.key && (firstItem.key as Node).range) {
        const col = columnOf(text, (firstItem.key as Node).range![0]);
        if (col > index.topCol) index.indentUnit = col - index.topCol;
      }
    }
    // Merged VMs (<<) are VMs to Salt too: read them from the resolved mapping.
    const resolved = toJS(v) as Record<string, unknown> | null;
    const literal = new Set<string>();
    for (const it of v.items as Pair[]) {
      const name = keyText(it);
      if (name === undefined || mergeKey(it)) continue;
      literal.add(name);
      addVm(node, name, form, it, uneditable);
    }
    for (const [name, value] of Object.entries(resolved ?? {})) {
      if (literal.has(name)) continue;
      // A VM brought in by a merge: its keys as Salt reads them, its line that of the node.
      const keys = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
      model.vms.push({ node, name, form, keys, line: lineOfPair(pair), keyLines: {} });
    }
  };

  for (const p of pairs) {
    const k = keyText(p);
    if (k === undefined) continue;
    if (k.startsWith(PILLAR_KEYS.targets)) addNodeMap(k.slice(PILLAR_KEYS.targets.length), 'targets', p);
    else if (k.startsWith(PILLAR_KEYS.saltify)) {
      const node = k.slice(PILLAR_KEYS.saltify.length);
      declare(node, lineOfPair(p), undefined, true);
      const v = toJS(deref(p.value));
      if (v && typeof v === 'object' && !Array.isArray(v))
        model.nodes.get(node)!.saltifyTarget = { keys: v as Record<string, unknown>, line: lineOfPair(p) };
    } else if (k.startsWith(PILLAR_KEYS.vms)) {
      const rest = k.slice(PILLAR_KEYS.vms.length);
      const value = deref(p.value);
      const node = nodeIds.has(rest) && !looksLikeSettings(value) ? undefined : longestNodePrefix(rest);
      if (node !== undefined) {
        declare(node, lineOfPair(p), 'flat');
        addVm(node, rest.slice(node.length + 1), 'flat', p);
      } else if (looksLikeSettings(value)) {
        model.findings.push({
          severity: 'error',
          code: 'ambiguous-key',
          where: { file, line: lineOfPair(p) },
          message: `cannot tell the compute node from the VM in '${k}'`,
          hint: `declare the node with makina-states.cloud.saltify.targets.<node>, or write the VM under ${PILLAR_KEYS.vms}<node>`,
        });
      } else addNodeMap(rest, 'vms', p);
    } else if (k === 'default_env' || k === PILLAR_KEYS.cloud || k.startsWith(PILLAR_KEYS.cloud + '.')) {
      // Everything else under makina-states.cloud configures the cloud: core resolves it the way
      // mc_utils.defaults did (map forms, flat keys, list extension) and flags what it cannot read.
      const value = toJS(deref(p.value));
      model.settings.push({ key: k, value: value instanceof Map ? Object.fromEntries(value) : value, line: lineOfPair(p) });
    }
  }
}

export function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}
