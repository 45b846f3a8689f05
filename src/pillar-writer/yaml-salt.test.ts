import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pillarText } from '../../test/helpers/yaml-gen.js';
import { parsePillar } from './read.js';
import { canonical, pyFloat, pyFloatText, pyInt, saltEqual, type Canon } from './yaml-salt.js';

/**
 * "Read pillars exactly as Salt does", proven against the reference: Debian's python3-yaml with
 * Salt's loader changes (test/helpers/salt-yaml.py). Every generated text is read by both; what
 * Salt refuses, lxc-wizard refuses; what both read, they read the same.
 */
const PYTHON = '/usr/bin/python3';
const HARNESS = new URL('../../test/helpers/salt-yaml.py', import.meta.url).pathname;
const runs = Number(process.env.FC_RUNS ?? 400);
const seed = process.env.FC_SEED === 'random' ? undefined : Number(process.env.FC_SEED ?? 20261125);
const havePyYaml =
  existsSync(PYTHON) &&
  (() => {
    try {
      execFileSync(PYTHON, ['-c', 'import yaml'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
const required = process.env.CI === 'true';

type Py = { ok: true; data: Canon } | { ok: false; error: string };

function salt(texts: string[]): Py[] {
  const input = JSON.stringify(texts.map((t) => Buffer.from(t, 'utf8').toString('base64')));
  return JSON.parse(execFileSync(PYTHON, [HARNESS], { input, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' })) as Py[];
}

/** Python's canonical form with numbers as numbers, maps re-sorted the way ours are. */
function fromPython(c: unknown): Canon {
  const a = c as [string, unknown, unknown?];
  switch (a[0]) {
    case 'num': {
      const s = a[1] as string;
      return ['num', s === 'nan' || s === 'inf' || s === '-inf' ? s : Number(s)];
    }
    case 'seq':
      return ['seq', (a[1] as unknown[]).map(fromPython)];
    case 'map': {
      const pairs = (a[1] as [unknown, unknown][]).map(([k, v]) => [fromPython(k), fromPython(v)] as [Canon, Canon]);
      pairs.sort((x, y) => (JSON.stringify(x[0]) < JSON.stringify(y[0]) ? -1 : 1));
      return ['map', pairs];
    }
    case 'str':
      return ['str', a[1] as string];
    case 'bool':
      return ['bool', a[1] as boolean];
    case 'null':
      return ['null'];
    default:
      // bytes (!!binary) or anything new: a value lxc-wizard has no reading for must fail the test, never match
      return ['str', `\u0000reference type ${a[0]} ${JSON.stringify(a[1])}`];
  }
}

function ours(text: string): { refused: string } | { data: Canon } {
  const f = parsePillar('p.sls', text);
  if (f.editBlocker) return { refused: f.editBlocker.message };
  return { data: canonical(f.data ?? null) };
}

function compare(texts: string[]) {
  const py = salt(texts);
  const mismatches: string[] = [];
  let bothRead = 0;
  let refusedWhatSaltReads = 0;
  texts.forEach((t, i) => {
    const p = py[i]!;
    const o = ours(t);
    if (!p.ok) {
      if (!('refused' in o)) mismatches.push(`Salt refuses (${p.error}) but lxc-wizard reads:\n${JSON.stringify(t)}`);
      return;
    }
    if ('refused' in o) {
      refusedWhatSaltReads++;
      return;
    }
    bothRead++;
    const want = JSON.stringify(fromPython(p.data));
    const got = JSON.stringify(o.data);
    if (want !== got) mismatches.push(`read differently:\n${JSON.stringify(t)}\nSalt:        ${want}\nlxc-wizard:  ${got}`);
  });
  return { mismatches, bothRead, refusedWhatSaltReads };
}

describe('PyYAML-exact scalar constructors', () => {
  it('read ints, floats and their edge cases as PyYAML does', () => {
    expect([pyInt('0755'), pyInt('0x1F'), pyInt('0b101'), pyInt('1_000'), pyInt('1:30'), pyInt('-0'), pyInt('+1')]).toEqual([
      493, 31, 5, 1000, 90, 0, 1,
    ]);
    expect(pyInt('12345678901234567890')).toBeUndefined();
    expect([pyFloat('1.'), pyFloat('.5'), pyFloat('1:30.5'), pyFloat('-.inf'), pyFloat('1.5e+3')]).toEqual([1, 0.5, 90.5, -Infinity, 1500]);
    expect([pyFloatText(1e21), pyFloatText(2), pyFloatText(-0.5), pyFloatText(NaN)]).toEqual(['1.0e+21', '2.0', '-0.5', '.nan']);
  });
});

describe('pillars read exactly as Salt (PyYAML) reads them', () => {
  it.runIf(required)('python3-yaml, the reference, is installed (required with CI=true)', () => {
    expect(havePyYaml).toBe(true);
  });

  it.skipIf(!havePyYaml)(`hostile pillars: ${runs} generated texts, none read differently, everything Salt refuses refused`, () => {
    const texts = fc.sample(pillarText(true), { numRuns: runs, seed });
    const r = compare(texts);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    // The generator must exercise real reads, not only refusals.
    expect(r.bothRead).toBeGreaterThan(runs / 8);
  });

  it.skipIf(!havePyYaml)(`plain pillars: ${runs} generated texts that Salt reads, all read, all the same`, () => {
    const texts = fc.sample(pillarText(false), { numRuns: runs, seed });
    const r = compare(texts);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    expect(r.refusedWhatSaltReads).toBe(0);
  });

  it.skipIf(!havePyYaml)('the scalars where YAML readers disagree, one by one', () => {
    const cases = [
      'y',
      'n',
      'yes',
      'ON',
      '~',
      '0755',
      '08',
      '0o17',
      '4.506e3',
      '1e3',
      '1.5e+3',
      '.5',
      '-.5',
      '1.',
      '1:30',
      '1:30.5',
      '.inf',
      '2001-12-14',
      '0b101',
      '1_000',
      '-0',
    ];
    const texts = cases.map((c) => `makina-states.cloud.lxc.defaults.x: ${c}\n`);
    const r = compare(texts);
    expect(r.mismatches).toEqual([]);
    expect(r.refusedWhatSaltReads).toBe(0);
  });
});

describe('saltEqual (the read-back check of every edit)', () => {
  // values as the reader gives them: typed scalars, lists, Maps whose keys are typed scalars
  const scalar = fc.oneof(
    fc.constantFrom(null, true, false, 0, 1, -0, 1.5, NaN, Infinity, '', '1', 'true', 'a'),
    fc.string({ maxLength: 3 }),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), tie('map')),
    map: fc.array(fc.tuple(scalar, tie('value')), { maxLength: 4 }).map((pairs) => new Map(pairs)),
  }));
  const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
  const reorder = (v: unknown): unknown =>
    v instanceof Map ? new Map([...v].reverse().map(([k, x]) => [k, reorder(x)])) : Array.isArray(v) ? v.map(reorder) : v;

  it('agrees with the canonical forms on any two values, and on a value and its maps reordered', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(saltEqual(a, b)).toBe(same(a, b));
        expect(saltEqual(a, reorder(a))).toBe(true);
      }),
      { numRuns: 2000, seed: 20261125 },
    );
  });
  it('tells a number from the same text, true from 1, and a missing key from a null one', () => {
    expect(saltEqual(new Map([['a', 1]]), new Map([['a', '1']]))).toBe(false);
    expect(saltEqual(new Map([[true, 'x']]), new Map([[1, 'x']]))).toBe(false);
    expect(saltEqual(new Map([['a', null]]), new Map())).toBe(false);
  });
});
