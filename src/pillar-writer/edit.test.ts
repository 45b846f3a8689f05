import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { removeVm, upsertVm } from './edit.js';
import { parsePillar } from './read.js';
import { unifiedDiff } from './diff.js';
import { seedText } from '../../test/helpers/pillar.js';

const parse = (t: string) => parsePillar('p.sls', t);
// the edits' texts (what these tests compare byte for byte)
const upsertVmText = (...a: Parameters<typeof upsertVm>) => upsertVm(...a).text;
const removeVmText = (...a: Parameters<typeof removeVm>) => removeVm(...a).text;
const N = 'devhost10.local';

/** The new text is the old one with `inserted` added somewhere, nothing else touched. */
function isPureInsertion(before: string, after: string): boolean {
  let i = 0;
  while (i < before.length && before[i] === after[i]) i++;
  return after.slice(after.length - (before.length - i)) === before.slice(i);
}

describe('editing a pillar by splicing text', () => {
  it('appends a VM to the seed by pure insertion, and removing it gives the seed back byte for byte', async () => {
    const seed = await seedText();
    const added = upsertVmText(parse(seed), N, 'web01.example.com', { profile_type: 'dir', ip: '10.5.0.9' });
    expect(isPureInsertion(seed, added)).toBe(true);
    expect(added.endsWith('  web01.example.com:\n    profile_type: dir\n    ip: 10.5.0.9\n')).toBe(true);
    expect(removeVmText(parse(added), N, 'web01.example.com')).toBe(seed);
  });

  it("verifies an edit from the parse of its text held already (the review's, for the write), and checks it all the same", async () => {
    const seed = await seedText();
    const f = parse(seed);
    const reviewed = upsertVm(f, N, 'web01.example.com', { profile_type: 'dir' });
    // the same edit again: the parse held is the one returned, not a second parse
    expect(upsertVm(f, N, 'web01.example.com', { profile_type: 'dir' }, [undefined, reviewed])).toBe(reviewed);
    // another edit: its own text, parsed
    const other = upsertVm(f, N, 'web01.example.com', { profile_type: 'lvm' }, [reviewed]);
    expect(other).not.toBe(reviewed);
    expect(other.model).toEqual(parse(other.text).model);
    // a parse held of the same text under another path is not this file's
    const elsewhere = parsePillar('other.sls', reviewed.text);
    expect(upsertVm(f, N, 'web01.example.com', { profile_type: 'dir' }, [elsewhere])).not.toBe(elsewhere);
    // the checks still run on a parse held: one that reads back differently is refused
    const lying = { ...reviewed, model: { ...reviewed.model, vms: reviewed.model.vms.filter((v) => v.name !== 'web01.example.com') } };
    expect(() => upsertVm(f, N, 'web01.example.com', { profile_type: 'dir' }, [lying])).toThrow(/reads back differently/);
  });

  it('writes an unchanged entry back as the identical file', async () => {
    const seed = await seedText();
    const f = parse(seed);
    for (const e of f.model.vms) expect(upsertVmText(f, e.node, e.name, e.keys)).toBe(seed);
  });

  it('updates key by key, keeping comments and the order of keys', async () => {
    const seed = await seedText();
    const f = parse(seed);
    const out = upsertVmText(f, N, 'gfoobar3.test.com', {
      ip: '10.5.10.18',
      profile_type: 'dir',
      password: 'foobar',
      bootsalt_branch: 'stable',
      snapshot: false,
    });
    expect(unifiedDiff('p.sls', seed, out)).toContain('-    ip: 10.5.10.17\n+    ip: 10.5.10.18');
    expect(out).toContain('    # from_container: makina-states-precise -> default\n');
    expect(out).not.toMatch(/gfoobar3[\s\S]*mode: mastersalt[\s\S]*gfoobar2/);
    expect(out).toContain('    bootsalt_branch: stable\n    snapshot: false\n  gfoobar2.test.coma:');
    expect(out.split('\n').filter((l) => l.includes('#')).length).toBe(seed.split('\n').filter((l) => l.includes('#')).length);
  });

  it('writes into {} and empty nodes, flow VM entries, and new nodes in the seed form', () => {
    expect(upsertVmText(parse('makina-states.cloud.lxc.vms.cn: {}\n'), 'cn', 'a.example.com', { ip: '10.5.0.3' })).toBe(
      'makina-states.cloud.lxc.vms.cn:\n  a.example.com:\n    ip: 10.5.0.3\n',
    );
    expect(upsertVmText(parse('makina-states.cloud.lxc.vms.cn:\n'), 'cn', 'a.example.com', {})).toBe(
      'makina-states.cloud.lxc.vms.cn:\n  a.example.com: {}\n',
    );
    expect(
      upsertVmText(parse('x: 1\nmakina-states.cloud.lxc.vms.cn:\n  a.example.com: {ip: 10.5.0.3}\n'), 'cn', 'a.example.com', {
        ip: '10.5.0.4',
        mode: 'salt',
      }),
    ).toBe('x: 1\nmakina-states.cloud.lxc.vms.cn:\n  a.example.com:\n    ip: 10.5.0.4\n    mode: salt\n');
    expect(upsertVmText(parse('x: 1'), 'new.example.net', 'a.example.com', { mode: 'salt' })).toBe(
      'x: 1\nmakina-states.services.cloud.lxc.targets.new.example.net:\n  a.example.com:\n    mode: salt\n',
    );
  });

  it('uses the per-VM form for a node that only has per-VM keys', () => {
    const text = 'makina-states.cloud.saltify.targets.cn.net: {}\nmakina-states.cloud.lxc.vms.cn.net.a.example.com: {}\n';
    const out = upsertVmText(parse(text), 'cn.net', 'b.example.com', { ip: '10.5.0.5' });
    expect(out).toBe(text + 'makina-states.cloud.lxc.vms.cn.net.b.example.com:\n  ip: 10.5.0.5\n');
    expect(removeVmText(parse(out), 'cn.net', 'b.example.com')).toBe(text);
  });

  it('keeps the indentation and line endings the file uses', () => {
    const crlf = 'makina-states.cloud.lxc.vms.cn:\r\n    a.example.com:\r\n        ip: 10.5.0.3\r\n';
    const out = upsertVmText(parse(crlf), 'cn', 'b.example.com', { ip: '10.5.0.4' });
    expect(out).toBe(crlf + '    b.example.com:\r\n        ip: 10.5.0.4\r\n');
  });

  it('refuses to edit Jinja, broken YAML and multi-entry flow maps, naming the line', () => {
    expect(() => upsertVmText(parse('a: {{ x }}\n'), 'cn', 'a.example.com', {})).toThrow(/Jinja/);
    expect(() => upsertVmText(parse('a: [\n'), 'cn', 'a.example.com', {})).toThrow(/not edited/);
    const flow = parse('makina-states.cloud.lxc.vms.cn: {a.example.com: {}, b.example.com: {}}\n');
    expect(() => upsertVmText(flow, 'cn', 'c.example.com', {})).toThrow(/flow style/);
  });

  const awkward = fc.oneof(
    fc.constantFrom(
      'yes',
      'no',
      'on',
      'off',
      'null',
      '~',
      '0755',
      '1e3',
      '12:30',
      '#x',
      'a: b',
      "it's",
      '"q"',
      '- x',
      '[x]',
      '{x}',
      '@x',
      '%x',
      '*x',
      '&x',
      '!x',
      '|',
      '>',
      ' lead',
      'trail ',
      '',
      'true',
      '2014-05-20',
    ),
    // Control characters and lone surrogates cannot be pillar values; everything else must survive.
    fc
      .string({ maxLength: 12 })
      .filter(
        (s) =>
          !/\{[{%#]/.test(s) &&
          ![...s].some(
            (c) =>
              c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) || /[\ud800-\udfff\ufeff\u2028\u2029]/.test(c),
          ),
      ),
  );
  it('round-trips quoting-sensitive values exactly (the edit is re-read and compared before it is returned)', async () => {
    const seed = await seedText();
    const f = parse(seed);
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.oneof(awkward, fc.integer(), fc.boolean(), fc.constant(null)), {
          maxKeys: 5,
        }),
        (entry) => {
          const out = upsertVmText(f, N, 'prop.example.com', entry);
          expect(isPureInsertion(seed, out)).toBe(true);
          const back = parse(out).model.vms.find((v) => v.name === 'prop.example.com')!;
          expect(back.keys).toEqual(entry);
          const upd = upsertVmText(parse(out), N, 'gfoobar.test.com', { ...f.model.vms[1]!.keys, ...entry });
          expect(parse(upd).model.vms[1]!.keys).toEqual({ ...f.model.vms[1]!.keys, ...entry });
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });

  it('refuses values holding a Jinja delimiter, naming the key', () => {
    const f = parse('makina-states.cloud.lxc.vms.cn: {}\n');
    expect(() => upsertVmText(f, 'cn', 'a.example.com', { password: 'x{{y' })).toThrow(/value of password contains a Jinja delimiter/);
    expect(() => upsertVmText(f, 'cn', 'a.example.com', { lxc_conf: [{ 'lxc.x': '{% y' }] })).toThrow(/lxc_conf\[0\]\.lxc\.x/);
  });

  it('produces a unified diff with a/ and b/ labels', async () => {
    const seed = await seedText();
    const d = unifiedDiff('pillar/lxc.sls', seed, upsertVmText(parse(seed), N, 'w.example.com', {}));
    expect(d.split('\n').slice(0, 3)).toEqual(['--- a/pillar/lxc.sls', '+++ b/pillar/lxc.sls', '@@ -29,3 +29,4 @@']);
    expect(d).toContain('+  w.example.com: {}');
    expect(unifiedDiff('x', seed, seed)).toBe('');
  });
});

describe('the file an edit returns', () => {
  it('is the parse of the new text its verification made: the same as parsing the text again', async () => {
    const before = parse(await seedText());
    const added = upsertVm(before, N, 'new.example.com', { profile_type: 'dir', ip: '10.5.10.30' });
    const again = parse(added.text);
    expect(added.sha256).toBe(again.sha256);
    expect(added.model.vms).toEqual(again.model.vms);
    expect(added.editBlocker).toBeUndefined();
    const removed = removeVm(added, N, 'new.example.com');
    expect(removed.text).toBe(await seedText());
    expect(removed.model.vms).toEqual(before.model.vms);
  });
});
