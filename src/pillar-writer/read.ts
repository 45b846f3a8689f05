import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ExitCode, UserError } from '../core/errors.js';
import { FIELDS } from '../core/fields.js';
import type { Finding } from '../core/findings.js';
import { emptyModel, PILLAR_KEYS, type KeyForm, type PillarModel, type VmEntry } from '../core/model.js';

/** Where the editor finds things: the pairs behind each node and VM. */
export interface PillarIndex {
  /** per node, the top-level pairs whose value maps VMs (targets and vms forms) */
  nodePairs: Map<string, { form: 'targets' | 'vms'; pair: Pair }[]>;
  /** per `node\0vm`, the pair whose value is the VM entry */
  vmPairs: Map<string, { form: KeyForm; pair: Pair }>;
  /** columns: top-level keys and one indentation step */
  topCol: number;
  indentUnit: number;
}

export interface PillarFile {
  path: string;
  text: string;
  sha256: string;
  doc: Document.Parsed | undefined;
  lineCounter: LineCounter;
  model: PillarModel;
  index: PillarIndex;
  /** set when the file must not be edited: Jinja, YAML errors, duplicate keys */
  editBlocker: Finding | undefined;
}

export const vmKey = (node: string, vm: string) => `${node}\0${vm}`;

export async function readPillar(path: string): Promise<PillarFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `pillar file ${path} does not exist` : `cannot read pillar file ${path}: ${(err as Error).message}`,
      {
        where: { field: '--pillar' },
        hint:
          code === 'ENOENT'
            ? 'check the path given with --pillar or LXC_WIZARD_PILLAR; `add` creates entries in an existing file (an empty one will do)'
            : 'check the file permissions',
        exitCode: ExitCode.USAGE,
      },
    );
  }
  return parsePillar(path, text);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const JINJA = /\{%|\{\{|\{#/;

export function parsePillar(path: string, text: string): PillarFile {
  const lineCounter = new LineCounter();
  const model = emptyModel(path);
  const index: PillarIndex = { nodePairs: new Map(), vmPairs: new Map(), topCol: 0, indentUnit: 2 };
  const base = { path, text, sha256: sha256(text), lineCounter, model, index };

  const jinjaAt = text.search(JINJA);
  if (jinjaAt >= 0) {
    const line = text.slice(0, jinjaAt).split('\n').length;
    const f: Finding = {
      severity: 'error',
      code: 'jinja',
      where: { file: path, line },
      message: 'this pillar file is a Jinja template; lxc-wizard reads and edits plain YAML only',
      hint: 'keep the LXC entries in a plain .sls file and include it from the templated one',
    };
    model.findings.push(f);
    return { ...base, doc: undefined, editBlocker: f };
  }

  const doc = parseDocument(text, { version: '1.1', lineCounter, keepSourceTokens: false, prettyErrors: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  let editBlocker: Finding | undefined;
  for (const e of doc.errors) {
    const f: Finding = {
      severity: 'error',
      code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml',
      where: { file: path, line: lineOf(e.pos[0]) },
      message: e.message.split('\n')[0]!,
      hint:
        e.code === 'DUPLICATE_KEY'
          ? 'YAML keeps only one of two equal keys: merge them into one'
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

  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return { ...base, doc, editBlocker };
  if (!isMap(root)) {
    const f: Finding = {
      severity: 'error',
      code: 'not-a-mapping',
      where: { file: path, line: lineOf(root.range?.[0] ?? 0) },
      message: 'the pillar file must be a mapping of keys',
      hint: 'a pillar .sls file is a YAML mapping (key: value)',
    };
    model.findings.push(f);
    return { ...base, doc, editBlocker: f };
  }
  extract(root, doc, text, path, model, index, lineOf);
  return { ...base, doc, editBlocker };
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
    return k !== undefined && !k.includes('.') && FIELDS[k] !== undefined;
  });
}

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
  for (const p of pairs) {
    const k = keyText(p);
    if (k === undefined) continue;
    if (k.startsWith(PILLAR_KEYS.targets)) explicitNodes.add(k.slice(PILLAR_KEYS.targets.length));
    else if (k.startsWith(PILLAR_KEYS.saltify)) explicitNodes.add(k.slice(PILLAR_KEYS.saltify.length));
    else if (k.startsWith(PILLAR_KEYS.vms)) vmsKeys.push({ rest: k.slice(PILLAR_KEYS.vms.length), pair: p });
  }
  // Form A (…vms.<cn>: {vm: …}) versus Form B (…vms.<cn>.<vm>: {ip: …}): dots never split a key,
  // so a Form B key is recognised by a known compute node id followed by '.'.
  // Candidates: declared nodes, and every vms key whose value is not settings-shaped; a candidate
  // that extends another candidate by '.<vm>' is that node's per-VM key, not a node.
  const candidates = new Set(explicitNodes);
  for (const { rest, pair } of vmsKeys) if (!looksLikeSettings(pair.value)) candidates.add(rest);
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

  const addVm = (node: string, name: string, form: KeyForm, pair: Pair) => {
    const v = pair.value;
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
    const keys: Record<string, unknown> = isMap(v) ? ((v.toJS(doc) as Record<string, unknown> | null) ?? {}) : {};
    const keyLines: Record<string, number> = {};
    if (isMap(v))
      for (const it of v.items as Pair[]) {
        const kt = keyText(it);
        if (kt !== undefined) keyLines[kt] = lineOfPair(it);
      }
    const entry: VmEntry = { node, name, form, keys, line, keyLines };
    model.vms.push(entry);
    if (!index.vmPairs.has(vmKey(node, name))) index.vmPairs.set(vmKey(node, name), { form, pair });
  };

  const addNodeMap = (node: string, form: 'targets' | 'vms', pair: Pair) => {
    declare(node, lineOfPair(pair), form);
    const list = index.nodePairs.get(node) ?? [];
    list.push({ form, pair });
    index.nodePairs.set(node, list);
    const v = pair.value;
    if (isNullish(v)) return;
    if (!isMap(v)) {
      model.findings.push({
        severity: 'error',
        code: 'bad-node-entry',
        where: { file, line: lineOfPair(pair) },
        node,
        message: `the VMs of compute node '${node}' must be a mapping of VM names`,
        hint: `write '${keyText(pair)}: {}' for a node without VMs`,
      });
      return;
    }
    if (isMap(v) && !v.flow) {
      const firstItem = v.items[0] as Pair | undefined;
      if (firstItem?.key && (firstItem.key as Node).range) {
        const col = columnOf(text, (firstItem.key as Node).range![0]);
        if (col > index.topCol) index.indentUnit = col - index.topCol;
      }
    }
    for (const it of v.items as Pair[]) {
      const name = keyText(it);
      if (name !== undefined) addVm(node, name, form, it);
    }
  };

  for (const p of pairs) {
    const k = keyText(p);
    if (k === undefined) continue;
    if (k.startsWith(PILLAR_KEYS.targets)) addNodeMap(k.slice(PILLAR_KEYS.targets.length), 'targets', p);
    else if (k.startsWith(PILLAR_KEYS.saltify)) declare(k.slice(PILLAR_KEYS.saltify.length), lineOfPair(p), undefined, true);
    else if (k.startsWith(PILLAR_KEYS.vms)) {
      const rest = k.slice(PILLAR_KEYS.vms.length);
      const node = nodeIds.has(rest) && !looksLikeSettings(p.value) ? undefined : longestNodePrefix(rest);
      if (node !== undefined) {
        declare(node, lineOfPair(p), 'flat');
        addVm(node, rest.slice(node.length + 1), 'flat', p);
      } else if (looksLikeSettings(p.value)) {
        model.findings.push({
          severity: 'error',
          code: 'ambiguous-key',
          where: { file, line: lineOfPair(p) },
          message: `cannot tell the compute node from the VM in '${k}'`,
          hint: `declare the node with makina-states.cloud.saltify.targets.<node>, or write the VM under ${PILLAR_KEYS.vms}<node>`,
        });
      } else addNodeMap(rest, 'vms', p);
    } else if (k === PILLAR_KEYS.defaults) {
      if (isMap(p.value))
        for (const it of p.value.items as Pair[]) {
          const dk = keyText(it);
          if (dk !== undefined) model.defaults[dk] = { value: (it.value as Node | null)?.toJS?.(doc) ?? null, line: lineOfPair(it) };
        }
    } else if (k.startsWith(PILLAR_KEYS.defaults + '.')) {
      model.defaults[k.slice(PILLAR_KEYS.defaults.length + 1)] = {
        value: (p.value as Node | null)?.toJS?.(doc) ?? null,
        line: lineOfPair(p),
      };
    }
  }
}

export function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}
