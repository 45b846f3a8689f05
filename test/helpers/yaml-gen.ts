import fc from 'fast-check';

/**
 * Pillar-like YAML texts for the differential test against PyYAML: realistic structure (dotted
 * makina-states keys, VM maps, lists) made of the scalars, quoting, anchors, tags and characters
 * where YAML 1.1 readers disagree.
 */

/** Plain scalars where resolvers differ (YAML 1.1 vs 1.2, PyYAML vs others). */
export const TRICKY_PLAIN = [
  'y',
  'Y',
  'n',
  'N',
  'yes',
  'No',
  'ON',
  'off',
  'true',
  'False',
  'TRUE',
  '~',
  'null',
  'Null',
  'NULL',
  '0755',
  '08',
  '0o17',
  '0x1F',
  '0xff_ff',
  '0b101',
  '0b1_0',
  '1_000',
  '-0',
  '+1',
  '0',
  '00',
  '-12',
  '4.506e3',
  '1e3',
  '1.5e+3',
  '1.5E-3',
  '.5',
  '-.5',
  '+.5',
  '1.',
  '1_0.5',
  '1:30',
  '1:30.5',
  '190:20:30',
  '-1:30',
  '1:60',
  '.inf',
  '-.INF',
  '.NaN',
  '.nan',
  '+.inf',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10',
  '2002-1-1',
  '10.5.0.1',
  '10.5',
  '00:16:3e:00:f1:81',
  'a b',
  'a#b',
  'web01.example.com',
  'lxc.net.0.flags',
  '12345678901234567890',
  '9007199254740993',
  '1e400',
  '-',
  '--',
  '?x',
  'é',
  'ǅ',
  '-C --from-salt-cloud -b stable',
];

const PLAIN_SAFE = ['web01.example.com', 'lxcbr1', '10.5.0.1', 'ubuntu', 'stable', 'makina-states-precise', 'a b', 'x-y_z', 'é'];

const KEYS = [
  'makina-states.cloud.lxc.vms.cn1.local',
  'makina-states.services.cloud.lxc.targets.devhost10.local',
  'makina-states.cloud.lxc.defaults.bridge',
  'makina-states.cloud.saltify.targets.cn2.example.net',
  'other.key',
  'web01.example.com',
  'ip',
  'profile_type',
  'dnsservers',
];

const quoteSingle = (s: string) => `'${s.replace(/'/g, "''")}'`;
const DQ_ESCAPES = [
  '\\x41',
  '\\u00e9',
  '\\e',
  '\\N',
  '\\_',
  '\\L',
  '\\P',
  '\\/',
  '\\t',
  '\\ ',
  '\\"',
  '\\\\',
  '\\0',
  '\\a',
  '\\U0001F600',
  '\\q',
];

const plainOf = (pool: string[]) => fc.constantFrom(...pool);

export function scalar(hostile: boolean): fc.Arbitrary<string> {
  const pool = hostile ? [...TRICKY_PLAIN, ...PLAIN_SAFE] : PLAIN_SAFE;
  const base = [
    plainOf(pool),
    plainOf(pool).map(quoteSingle),
    plainOf(pool).map((s) => JSON.stringify(s)),
    fc.integer({ min: -5000, max: 70000 }).map(String),
  ];
  if (!hostile) return fc.oneof(...base);
  return fc.oneof(
    ...base,
    fc.tuple(plainOf(PLAIN_SAFE), fc.constantFrom(...DQ_ESCAPES)).map(([a, e]) => `"${a}${e}"`),
    fc.constantFrom(
      '!!str 1',
      '!!int "12"',
      '!!int "x"',
      '!!float 1',
      '!!bool yes',
      '!!null ""',
      '!!binary aGVsbG8=',
      '!!timestamp 2001-12-14',
      '!!python/name:os.system',
      '!custom x',
      '!!set {a}',
      '=',
      // tags on values that Salt's loader refuses or reads its own way (the merge key's tag as a value)
      '!!merge x',
      '!!merge',
      '!!merge {}',
      '!!seq x',
      '!!map x',
      '!!omap [a]',
      '!!pairs [a]',
      '!!str',
      '!!value =',
    ),
    fc.constantFrom("'it''s'", '"tab\there"', 'a\tb', "'a\tb'"),
    fc.constantFrom('"multi\n  line"', 'plain\n  continued'),
  );
}

interface Ctx {
  hostile: boolean;
  anchors: string[];
}

/** A value at `indent` (the column its own lines would start at). */
function value(ctx: Ctx, depth: number): fc.Arbitrary<(indent: number) => string> {
  const leaf = scalar(ctx.hostile).map((s) => (_i: number) => ` ${s}`);
  if (depth <= 0) return leaf;
  const key = fc.oneof(
    plainOf(KEYS),
    ...(ctx.hostile ? [plainOf(['yes', '1', '0755', '~', '"q k"', "'s k'", '<<', '=', 'a b', 'é', '1.5', 'null'])] : []),
  );
  const entries = fc.array(
    fc.tuple(
      key,
      fc.constant(null).chain(() => value(ctx, depth - 1)),
    ),
    { minLength: 1, maxLength: 3 },
  );
  const blockMap = entries.map((es) => (i: number) => '\n' + es.map(([k, v]) => `${' '.repeat(i)}${k}:${v(i + 2)}`).join('\n'));
  const blockSeq = fc
    .array(
      fc.constant(null).chain(() => scalar(ctx.hostile)),
      { minLength: 1, maxLength: 3 },
    )
    .map((xs) => (i: number) => '\n' + xs.map((x) => `${' '.repeat(i)}- ${x}`).join('\n'));
  const flowMap = fc
    .array(fc.tuple(plainOf(['ip', 'mac', 'a', 'b']), scalar(false)), { maxLength: 3 })
    .map((es) => (_i: number) => ` {${es.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
  const flowSeq = fc.array(scalar(false), { maxLength: 3 }).map((xs) => (_i: number) => ` [${xs.join(', ')}]`);
  const empty = fc.constantFrom(
    (_i: number) => '',
    (_i: number) => ' {}',
    (_i: number) => ' []',
    (_i: number) => ' ~',
  );
  const options = [leaf, blockMap, blockSeq, flowMap, flowSeq, empty];
  if (ctx.hostile) {
    const anchored = blockMap.map((f) => (i: number) => {
      const name = `a${ctx.anchors.length}`;
      ctx.anchors.push(name);
      return ` &${name}${f(i)}`;
    });
    const alias = fc.constant((_i: number) => (ctx.anchors.length ? ` *${ctx.anchors[ctx.anchors.length - 1]}` : ' ~'));
    const merged = entries.map((es) => (i: number) => {
      const m = ctx.anchors.length ? `${' '.repeat(i)}<<: *${ctx.anchors[ctx.anchors.length - 1]}\n` : '';
      return '\n' + m + es.map(([k, v]) => `${' '.repeat(i)}${k}:${v(i + 2)}`).join('\n');
    });
    options.push(anchored, alias, merged);
  }
  return fc.oneof(...options);
}

/** A whole pillar text; hostile ones also get odd characters, line endings, comments and a BOM. */
export function pillarText(hostile: boolean): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(
        fc.tuple(
          plainOf(KEYS),
          fc.constant(null).chain(() => value({ hostile, anchors: [] }, 3)),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      fc.boolean(),
      hostile
        ? fc.constantFrom('', '', '', '', '', '', '\t', '\u0001', '\u007f', '\u0085', '\u2028', '\u00a0', '\ufeff', '\u202e')
        : fc.constant(''),
      fc.nat(),
      hostile ? fc.constantFrom('\n', '\n', '\n', '\r\n', '\r') : fc.constant('\n'),
      hostile ? fc.boolean() : fc.constant(false),
    )
    .map(([entries, comment, odd, at, eol, bom]) => {
      let text = entries.map(([k, v]) => `${k}:${v(2)}`).join('\n') + '\n';
      if (comment) text = `# pillar\n${text.replace(/\n/, ' # note\n')}`;
      if (odd) {
        const i = at % (text.length + 1);
        text = text.slice(0, i) + odd + text.slice(i);
      }
      if (eol !== '\n') text = text.replace(/\n/g, eol);
      return (bom ? '\ufeff' : '') + text;
    });
}
