import { isAlias, isMap, isScalar, isSeq, Scalar, visit, type Document, type Node, type ScalarTag, type Tags, type YAMLMap } from 'yaml';

/**
 * YAML as Salt reads a pillar: PyYAML's SafeLoader (YAML 1.1), with Salt's loader on top
 * (salt/utils/yamlloader.py): a key given twice is an error ("conflicting ID"), timestamps stay
 * strings, and an explicit key overrides one brought in by a merge (`<<`).
 *
 * The `yaml` library parses (we need its positions for splicing and file:line messages); this
 * module makes it resolve plain scalars with PyYAML's own regular expressions and constructors,
 * and names what it cannot read the same way, so that those files are refused rather than misread.
 * test/helpers/salt-yaml.py is the reference it is tested against (pillar-yaml.test.ts).
 */

const T = 'tag:yaml.org,2002:';

// PyYAML 6 resolver.py, verbatim but for the verbose-mode whitespace.
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

/** Integers beyond 2^53 cannot be held exactly: refused rather than rounded. */
const SAFE = Number.MAX_SAFE_INTEGER;

function sexagesimal(parts: number[]): number {
  return parts.reduce((acc, d) => acc * 60 + d, 0);
}

/** PyYAML's construct_yaml_int. */
export function pyInt(source: string): number | undefined {
  let v = source.replace(/_/g, '');
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  let n: number;
  if (v === '0') return 0;
  if (v.startsWith('0b')) n = /^[01]+$/.test(v.slice(2)) ? parseInt(v.slice(2), 2) : NaN;
  else if (v.startsWith('0x')) n = /^[0-9a-fA-F]+$/.test(v.slice(2)) ? parseInt(v.slice(2), 16) : NaN;
  else if (v[0] === '0') n = /^[0-7]+$/.test(v) ? parseInt(v, 8) : NaN;
  else if (v.includes(':')) n = v.split(':').every((p) => /^[0-9]+$/.test(p)) ? sexagesimal(v.split(':').map(Number)) : NaN;
  else n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n > SAFE) return undefined;
  return sign * n;
}

/** PyYAML's construct_yaml_float. */
export function pyFloat(source: string): number | undefined {
  let v = source.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) {
    const parts = v.split(':').map(Number);
    return parts.some((p) => Number.isNaN(p)) ? undefined : sign * sexagesimal(parts);
  }
  // Python's float() accepts what the regex lets through ('1.', '.5', '1.e+5'); Number() agrees.
  const n = Number(v);
  return Number.isNaN(n) ? undefined : sign * n;
}

/** A number as PyYAML's float regex reads it back: a dot is required, and so is the exponent's sign. */
export function pyFloatText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  const s = String(n);
  if (s.includes('.')) return s;
  const e = s.indexOf('e');
  return e < 0 ? `${s}.0` : `${s.slice(0, e)}.0${s.slice(e)}`;
}

const tag = (t: Omit<ScalarTag, 'default'> & { default?: boolean }): ScalarTag => ({ default: true, ...t }) as ScalarTag;

const saltTags = (base: Tags): Tags => {
  // Keep the library's map, seq and str (collections and quoted strings); replace every scalar
  // resolver by PyYAML's. No timestamp tag: Salt constructs timestamps as strings.
  const keep = base.filter((t) => [`${T}map`, `${T}seq`, `${T}str`].includes((t as { tag: string }).tag));
  const merge = base.find((t) => (t as { tag: string }).tag === `${T}merge`);
  return [
    ...keep,
    tag({ tag: `${T}null`, test: NULL, resolve: () => new Scalar(null), identify: (v) => v === null || v === undefined }),
    tag({ tag: `${T}bool`, test: BOOL, resolve: (s) => new Scalar(/^(?:yes|true|on)$/i.test(s)), identify: (v) => typeof v === 'boolean' }),
    tag({
      tag: `${T}int`,
      test: INT,
      identify: (v) => Number.isSafeInteger(v),
      stringify: ({ value }) => String(value),
      resolve: (s, onError) => {
        const n = pyInt(s);
        if (n === undefined) onError(`the integer ${s} cannot be read exactly (too large, or not a number)`);
        return n ?? 0;
      },
    }),
    tag({
      tag: `${T}float`,
      test: FLOAT,
      identify: (v) => typeof v === 'number',
      stringify: ({ value }) => pyFloatText(value as number),
      resolve: (s, onError) => {
        const n = pyFloat(s);
        if (n === undefined) onError(`the number ${s} cannot be read`);
        return n ?? 0;
      },
    }),
    // PyYAML resolves a plain `=` to tag:yaml.org,2002:value, which SafeLoader cannot construct.
    tag({
      tag: `${T}value`,
      test: /^=$/,
      resolve: (_s, onError) => {
        onError("a plain '=' is the YAML 1.1 value key, which Salt cannot read: quote it ('=')");
        return '=';
      },
    }),
    ...(merge ? [merge] : []),
    // Explicit tags (`!!int "12"`): PyYAML applies the constructor whatever the text; the library
    // only uses a tag without `test` for that, so these follow the implicit ones.
    tag({ default: false, tag: `${T}null`, resolve: () => new Scalar(null) }),
    tag({
      default: false,
      tag: `${T}bool`,
      resolve: (s, onError) => {
        const v = s.toLowerCase();
        if (!['yes', 'no', 'true', 'false', 'on', 'off'].includes(v)) onError(`!!bool ${s} is not a boolean`);
        return new Scalar(['yes', 'true', 'on'].includes(v));
      },
    }),
    tag({
      default: false,
      tag: `${T}int`,
      resolve: (s, onError) => {
        const n = pyInt(s);
        if (n === undefined) onError(`!!int ${s} is not an integer Salt can read`);
        return n ?? 0;
      },
    }),
    tag({
      default: false,
      tag: `${T}float`,
      resolve: (s, onError) => {
        const n = pyFloat(s);
        if (n === undefined) onError(`!!float ${s} is not a number Salt can read`);
        return n ?? 0;
      },
    }),
  ];
};

/**
 * Options for parseDocument: YAML 1.1, the Salt schema, merges. Duplicate keys are found by
 * nodeProblems, as Python compares keys (yes and true, 1 and 1.0 are one key), in one pass: the
 * library's own check compares each key with every one before it (20,000 VMs under one node took
 * 4 s of a 6 s validate).
 */
export const SALT_YAML = {
  version: '1.1',
  schema: 'yaml-1.1',
  customTags: saltTags,
  merge: true,
  uniqueKeys: false,
  // Each alias counts; an alias bomb (billion laughs) is refused when the document is read.
  maxAliasCount: 10_000,
} as const;

/** Explicit tags PyYAML's SafeLoader constructs the way the library does. Any other is refused. */
const EXPLICIT_OK = new Set([`${T}str`, `${T}int`, `${T}float`, `${T}bool`, `${T}null`, `${T}map`, `${T}seq`]);

// PyYAML's reader refuses these anywhere in the stream, comments included (reader.py NON_PRINTABLE).
const NON_PRINTABLE = /[^\t\n\r\u0020-\u007e\u0085\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

export interface TextProblem {
  offset: number;
  message: string;
  hint: string;
  code: string;
}

/**
 * What Salt and the `yaml` library would read differently at the level of characters, found
 * before parsing: characters PyYAML refuses, and line breaks only YAML 1.1 knows.
 */
export function textProblem(text: string): TextProblem | undefined {
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    const cp = bad[0].codePointAt(0)!;
    return {
      offset: bad.index,
      code: 'bad-character',
      message: `the file holds the character U+${cp.toString(16).toUpperCase().padStart(4, '0')}, which Salt's YAML reader refuses`,
      hint: 'remove it (a stray control character, or a file that is not text)',
    };
  }
  const bom = text.indexOf('\ufeff', 1);
  if (bom > 0) {
    return {
      offset: bom,
      code: 'bad-character',
      message: 'the file holds a byte-order mark (U+FEFF) after its start, which Salt reads as part of the text and other tools drop',
      hint: 'remove it (an editor or a concatenation left it there)',
    };
  }
  const cr = /\r(?!\n)/.exec(text);
  if (cr) {
    return {
      offset: cr.index,
      code: 'line-endings',
      message: 'the file uses CR (old Mac) line endings, which Salt and lxc-wizard would read differently',
      hint: 'convert it to LF line endings (mac2unix, or tr "\\r" "\\n")',
    };
  }
  const nel = /[\u0085\u2028\u2029]/.exec(text);
  if (nel) {
    return {
      offset: nel.index,
      code: 'line-endings',
      message: `the file holds U+${nel[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, which YAML 1.1 (Salt) reads as a line break and other tools do not`,
      hint: 'replace it with a plain newline or remove it',
    };
  }
  return undefined;
}

/**
 * PyYAML refuses a tab wherever it would be whitespace between tokens (after `key:`, inside a plain
 * scalar, in indentation); it keeps one only inside quoted or block scalars and comments. The
 * offset of the first tab elsewhere, or undefined.
 */
export function strayTab(text: string, doc: Document.Parsed): number | undefined {
  if (!text.includes('\t')) return undefined;
  const kept: [number, number][] = [];
  visit(doc, {
    Scalar(_k, n) {
      if (n.range && n.type && n.type !== 'PLAIN') kept.push([n.range[0], n.range[1]]);
    },
  });
  const inKept = (i: number) => kept.some(([a, b]) => i >= a && i < b);
  for (let i = text.indexOf('\t'); i >= 0; i = text.indexOf('\t', i + 1)) {
    if (inKept(i)) continue;
    const lineStart = text.lastIndexOf('\n', i - 1) + 1;
    let comment = false;
    for (let j = lineStart; j < i; j++) {
      if (text[j] === '#' && (j === lineStart || /\s/.test(text[j - 1]!)) && !inKept(j)) {
        comment = true;
        break;
      }
    }
    if (!comment) return i;
  }
  return undefined;
}

export interface NodeProblem {
  node: Node;
  message: string;
  hint: string;
  code: string;
}

/** Parsed, but meaning something else to Salt: unsupported tags, keys that are not scalars. */
export function nodeProblems(doc: Document.Parsed): NodeProblem[] {
  const out: NodeProblem[] = [];
  const anchors = new Set<string>();
  /** `where`: the node's place in its parent (`key` for a mapping key), as the visitor says */
  const checkNode = (n: Node, where: unknown) => {
    const anchor = (n as { anchor?: string }).anchor ?? (isAlias(n) ? n.source : undefined);
    if (anchor && !/^[A-Za-z0-9_-]+$/.test(anchor)) {
      out.push({
        node: n,
        code: 'yaml-anchor',
        message: `the anchor or alias name ${JSON.stringify(anchor)} holds characters Salt refuses`,
        hint: 'use letters, digits, _ and - in anchor names',
      });
    }
    if (anchor && !isAlias(n)) {
      // YAML 1.2 lets an anchor be redefined; PyYAML refuses the second one.
      if (anchors.has(anchor))
        out.push({
          node: n,
          code: 'yaml-anchor',
          message: `the anchor &${anchor} is defined twice, which Salt refuses`,
          hint: 'give each anchor its own name',
        });
      anchors.add(anchor);
    }
    const t = (n as { tag?: string }).tag;
    // !!merge is the merge key's own tag (`<<`, or a key tagged so): anywhere else PyYAML has no
    // constructor for it and Salt refuses the file
    // a tag Salt's loader constructs, on the kind of node it constructs it from: !!seq on a scalar,
    // !!str on a mapping are refused by PyYAML (expected a sequence node, but found scalar)
    const fits =
      t === `${T}map`
        ? isMap(n)
        : t === `${T}seq`
          ? isSeq(n)
          : t === `${T}merge`
            ? where === 'key'
            : EXPLICIT_OK.has(t ?? '') && isScalar(n);
    if (t && !isAlias(n) && !fits) {
      out.push({
        node: n,
        code: 'yaml-tag',
        message: `the tag ${t.startsWith(T) ? `!!${t.slice(T.length)}` : t} is not one Salt's safe YAML loader reads as lxc-wizard would`,
        hint: 'remove the tag (write the value plainly or quoted)',
      });
    }
  };
  const keyId = (k: unknown): string | undefined => {
    const v = isScalar(k) ? k.value : undefined;
    if (!isScalar(k)) return undefined;
    return typeof v === 'boolean' || typeof v === 'number'
      ? `n:${Number(v)}`
      : v === null || v === undefined
        ? 'null'
        : typeof v === 'string'
          ? `s:${v}`
          : undefined;
  };
  const isMerge = (k: unknown) => isScalar(k) && typeof k.value === 'symbol';
  // Aliases resolved through one table of the anchors (the library's resolve searches the whole
  // document at each alias: a chain of 400 merges took seconds). An anchor defined twice is
  // refused above, so each name has one node.
  const anchored = new Map<string, Node>();
  visit(doc, {
    Node(_k, n) {
      const a = (n as { anchor?: string }).anchor;
      if (a && !isAlias(n) && !anchored.has(a)) anchored.set(a, n as Node);
    },
  });
  const deref = (v: unknown): unknown => (isAlias(v) ? anchored.get(v.source) : v);
  /** A key as Salt's flatten_mapping compares keys: its text as written (`~` and `null` differ there). */
  const rawOf = (k: unknown) => (isScalar(k) ? String((k as { source?: unknown }).source ?? k.value) : undefined);
  /**
   * The keys a mapping holds once its own merges are applied (what it brings into another merge),
   * each as [typed id, text as written]; each mapping once.
   */
  const flat = new Map<unknown, Map<string, string>>();
  const flatKeys = (m: unknown): Map<string, string> => {
    const map = deref(m);
    const known = flat.get(map);
    if (known) return known;
    const out = new Map<string, string>();
    if (!isMap(map)) return out;
    flat.set(map, out); // a mapping merging itself (refused elsewhere) sees itself as it is so far
    for (const p of map.items) {
      if (isMerge(p.key)) {
        for (const src of mergeSources(p.value)) for (const [k, raw] of flatKeys(src)) if (!out.has(k)) out.set(k, raw);
      } else {
        const id = keyId(p.key);
        if (id) out.set(id, rawOf(p.key)!);
      }
    }
    return out;
  };
  const mergeSources = (v: unknown): unknown[] => {
    const r = deref(v);
    return isSeq(r) ? r.items : [r];
  };
  const checkKeys = (m: YAMLMap) => {
    // Salt's loader gathers the pairs of every merge source, drops those the mapping writes itself
    // (the same text: `~` written here does not drop a `null` merged in), and refuses a key that
    // two sources bring, or one a source brings and the mapping writes another way (conflicting ID).
    const writtenText = new Set(m.items.filter((p) => !isMerge(p.key)).map((p) => rawOf(p.key)));
    const written = new Map(m.items.filter((p) => !isMerge(p.key)).map((p) => [keyId(p.key), rawOf(p.key)]));
    const brought = new Map<string, number>();
    let source = 0;
    for (const p of m.items) {
      if (!isMerge(p.key)) continue;
      for (const src of mergeSources(p.value)) {
        source++;
        for (const [k, raw] of flatKeys(src)) {
          if (writtenText.has(raw)) continue;
          if (written.has(k)) {
            out.push({
              node: p.key as Node,
              code: 'duplicate-key',
              message: `a merge (<<) brings the key ${raw}, which this mapping writes as ${written.get(k)}: the same key to Salt (conflicting ID)`,
              hint: `write the key as ${raw} here (then it overrides the merged one), or remove it`,
            });
            return;
          }
          const from = brought.get(k);
          if (from !== undefined && from !== source) {
            out.push({
              node: p.key as Node,
              code: 'duplicate-key',
              message: `two merges (<<) bring the key ${k.slice(2)}, which Salt refuses (conflicting ID)`,
              hint: 'set the key explicitly in this mapping, or merge one source only',
            });
            return;
          }
          brought.set(k, source);
        }
      }
    }
    // Python compares keys by value: yes/true and 1, no/false and 0, 1 and 1.0 are one key to Salt.
    const seen = new Map<string, Node>();
    for (const p of m.items) {
      const k = p.key;
      if (k !== null && !isScalar(k) && !isAlias(k)) {
        out.push({
          node: k as Node,
          code: 'yaml-key',
          message: 'a mapping key that is a list or a mapping cannot be read by Salt',
          hint: 'use a plain string key',
        });
        continue;
      }
      if (!isScalar(k)) continue;
      const v = k.value;
      const id =
        typeof v === 'boolean' || typeof v === 'number'
          ? `n:${Number(v)}`
          : v === null || v === undefined
            ? 'null'
            : typeof v === 'string'
              ? `s:${v}`
              : undefined;
      if (id === undefined) continue;
      const first = seen.get(id);
      if (first) {
        out.push({
          node: k,
          code: 'duplicate-key',
          message: `the keys ${String(first)} and ${String(k)} are the same key to Salt (conflicting ID)`,
          hint: 'keep one of them',
        });
      } else seen.set(id, k);
    }
  };
  visit(doc, {
    Node(key, n) {
      checkNode(n as Node, key);
      if (isMap(n)) checkKeys(n);
    },
  });
  return out;
}

/**
 * The document as Salt holds it, in a canonical JSON-able form: maps become sorted key/value lists
 * (Python dicts are compared by content), scalars carry their type. Two texts mean the same pillar
 * exactly when their canonical forms are equal. Throws on an alias bomb (the library's limit).
 */
export type Canon =
  ['map', [Canon, Canon][]] | ['seq', Canon[]] | ['str', string] | ['num', number | string] | ['bool', boolean] | ['null'];

export function canonical(value: unknown): Canon {
  if (value === null || value === undefined) return ['null'];
  if (typeof value === 'boolean') return ['bool', value];
  if (typeof value === 'number')
    return ['num', Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : value];
  if (typeof value === 'string') return ['str', value];
  if (typeof value === 'symbol') return ['str', value.description ?? ''];
  if (Array.isArray(value)) return ['seq', value.map(canonical)];
  if (value instanceof Map) {
    const pairs = [...value].map(([k, v]) => [canonical(k), canonical(v)] as [Canon, Canon]);
    pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
    return ['map', pairs];
  }
  if (value instanceof Set) return canonical(new Map([...value].map((x) => [x, null])));
  return ['str', String(value)];
}

/**
 * `canonical(a)` equals `canonical(b)`, without building either: maps are matched by key lookup
 * (scalar keys are typed, as Salt's are), so a 10,000-VM pillar is compared in one pass.
 */
export function saltEqual(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown) => v === null || v === undefined || typeof v !== 'object';
  if (scalar(a) || scalar(b)) return scalar(a) && scalar(b) && sameScalar(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => saltEqual(x, b[i]));
  }
  const asMap = (v: unknown) => (v instanceof Set ? new Map([...v].map((x) => [x, null])) : v);
  const ma = asMap(a);
  const mb = asMap(b);
  if (!(ma instanceof Map) || !(mb instanceof Map)) return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
  if (ma.size !== mb.size) return false;
  for (const [k, v] of ma) {
    if (!scalar(k) || typeof k === 'symbol') return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
    if (!mb.has(k) || !saltEqual(v, mb.get(k))) return false;
  }
  return true;
}

function sameScalar(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/**
 * The whole document as Salt loads it (maps as Maps with typed keys). A structure that contains
 * itself (`&a {x: *a}`) throws a RangeError: no pillar needs one, and nothing downstream could walk it.
 */
export function saltValue(doc: Document.Parsed): unknown {
  // Aliases are built once and shared, as PyYAML shares them: the library's own alias count walks
  // an anchor's whole subtree at each alias, cubic for a chain of merges (400 took 13-83 s, PyYAML
  // 0.3 s). The size the value would have once every alias is expanded (what Salt's deep copies
  // make of it) is counted here instead, each shared value once: an alias bomb is refused in
  // linear time, before anything walks it whole.
  const value = buildSalt(doc);
  const size = new Map<unknown, number>();
  const path = new Set<unknown>();
  const expanded = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = size.get(v);
    if (known !== undefined) return known;
    if (path.has(v)) throw new RangeError('a value contains itself');
    path.add(v);
    let n = 1;
    if (v instanceof Map) for (const [k, x] of v) n += expanded(k) + expanded(x);
    else if (Array.isArray(v) || v instanceof Set) for (const x of v) n += expanded(x);
    path.delete(v);
    if (n > MAX_EXPANDED) throw new ReferenceError(`Excessive alias count: the file expands to more than ${MAX_EXPANDED} values`);
    size.set(v, n);
    return n;
  };
  expanded(value);
  return value;
}

/**
 * The document's value as Salt's loader constructs it: each node once (an alias is the value its
 * anchor built, shared, as PyYAML shares it), maps as Maps, a merge (`<<`) bringing each source's
 * keys the mapping does not write itself, the first source first (PyYAML's flatten_mapping). The
 * library's toJS converts a merge source again at every merge that names it: cubic for a chain of
 * merges (400 took 13 s here; PyYAML 0.3 s).
 */
function buildSalt(doc: Document.Parsed): unknown {
  const anchored = new Map<string, Node>();
  visit(doc, {
    Node(_k, n) {
      const a = (n as { anchor?: string }).anchor;
      if (a && !isAlias(n) && !anchored.has(a)) anchored.set(a, n as Node);
    },
  });
  const built = new Map<unknown, unknown>();
  const building = new Set<unknown>();
  const isMergeKey = (k: unknown) => isScalar(k) && typeof k.value === 'symbol';
  const val = (n: unknown): unknown => {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) {
      const target = anchored.get(n.source);
      if (!target) throw new ReferenceError(`Unresolved alias (the first anchor of this name must precede it): ${n.source}`);
      return val(target);
    }
    if (built.has(n)) return built.get(n);
    if (isScalar(n)) {
      const v = n.value as { toJSON?: () => unknown } | null;
      // as the library gives scalars (a Date as its ISO string)
      return v !== null && typeof v === 'object' && typeof v.toJSON === 'function' ? v.toJSON() : v;
    }
    if (isSeq(n)) {
      const out: unknown[] = [];
      built.set(n, out);
      for (const it of n.items) out.push(val(it));
      return out;
    }
    if (isMap(n)) {
      const out = new Map<unknown, unknown>();
      built.set(n, out);
      building.add(n);
      for (const p of n.items) {
        if (isMergeKey(p.key)) {
          const r = isAlias(p.value) ? anchored.get(p.value.source) : p.value;
          for (const src of isSeq(r) ? r.items : [r]) {
            const node = isAlias(src) ? anchored.get(src.source) : src;
            if (building.has(node)) throw new RangeError('a mapping merges itself');
            const m = val(src);
            if (!(m instanceof Map)) throw new Error('Merge sources must be maps or map aliases');
            for (const [k, v] of m) if (!out.has(k)) out.set(k, v);
          }
        } else out.set(val(p.key), val(p.value));
      }
      building.delete(n);
      return out;
    }
    return (n as Node).toJS(doc);
  };
  return val(doc.contents);
}

/** The most values a pillar may expand to once its aliases are (a 10,000-VM pillar is about 100,000). */
export const MAX_EXPANDED = 5_000_000;

export { isAlias, isMap, isSeq };
