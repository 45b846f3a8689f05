import { appendFile, chmod, copyFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parsePillar, readPillar } from './read.js';
import { scratch, seedText, SEED } from '../../test/helpers/pillar.js';

describe('reading pillar files', () => {
  it("reads the seed's example: one node, five VMs, with lines", async () => {
    const { model, editBlocker } = parsePillar('seed.sls', await seedText());
    expect(editBlocker).toBeUndefined();
    expect([...model.nodes.keys()]).toEqual(['devhost10.local']);
    expect(model.vms.map((v) => [v.name, v.line, v.form])).toEqual([
      ['mysupertest3.foo.com', 4, 'targets'],
      ['gfoobar.test.com', 6, 'targets'],
      ['gfoobar4.test.com', 12, 'targets'],
      ['gfoobar3.test.com', 19, 'targets'],
      ['gfoobar2.test.coma', 26, 'targets'],
    ]);
    expect(model.vms[1]!.keys).toEqual({ profile: 'small', profile_type: 'lvm', password: 'foobar', ip: '10.5.10.16' });
    expect(model.vms[1]!.keyLines.ip).toBe(10);
  });

  it('reads all three key forms and saltify targets; dots inside keys are never split', () => {
    const text = [
      'makina-states.cloud.saltify.targets.cn3.example.net: {}',
      'makina-states.cloud.lxc.vms.cn1.example.net:',
      '  a.example.com: {ip: 10.5.0.10}',
      'makina-states.services.cloud.lxc.targets.cn2.example.net:',
      '  b.example.com:',
      'makina-states.cloud.lxc.vms.cn3.example.net.c.example.com:',
      '  profile_type: dir',
      'makina-states.cloud.lxc.vms.cn1.example.net.d.example.com: {}',
      'makina-states.cloud.lxc.vms.empty.example.net:',
      'other.key: 1',
    ].join('\n');
    const { model } = parsePillar('p.sls', text);
    expect([...model.nodes.keys()].sort()).toEqual(['cn1.example.net', 'cn2.example.net', 'cn3.example.net', 'empty.example.net']);
    expect(model.vms.map((v) => `${v.node} ${v.name} ${v.form}`)).toEqual([
      'cn1.example.net a.example.com vms',
      'cn2.example.net b.example.com targets',
      'cn3.example.net c.example.com flat',
      'cn1.example.net d.example.com flat',
    ]);
    expect(model.nodes.get('cn3.example.net')).toMatchObject({ saltify: true, forms: ['flat'] });
    expect(model.findings).toEqual([]);
  });

  it('flags a per-VM key whose node cannot be told apart', () => {
    const { model } = parsePillar('p.sls', 'makina-states.cloud.lxc.vms.cn.example.net.web.example.com:\n  ip: 10.5.0.3\n');
    expect(model.findings.map((f) => [f.code, f.where.line])).toEqual([['ambiguous-key', 1]]);
    expect(model.findings[0]!.hint).toContain('saltify.targets');
  });

  it('parses as YAML 1.1, as Salt does', () => {
    const { model } = parsePillar(
      'p.sls',
      'makina-states.cloud.lxc.vms.cn:\n  a.example.com:\n    autostart: yes\n    snapshot: off\n    mode_bits: 0755\n',
    );
    expect(model.vms[0]!.keys).toEqual({ autostart: true, snapshot: false, mode_bits: 0o755 });
  });

  it('refuses Jinja with its line and a hint', () => {
    const f = parsePillar('p.sls', 'a: 1\n{% set x = 1 %}\nb: {{ x }}\n');
    expect(f.editBlocker).toMatchObject({ code: 'jinja', where: { line: 2 } });
    expect(f.editBlocker!.hint).toContain('plain .sls file');
  });

  it('refuses YAML errors and duplicate keys with their line', () => {
    expect(parsePillar('p.sls', 'a: 1\nb: [1, 2\n').editBlocker?.code).toBe('yaml');
    const dup = parsePillar(
      'p.sls',
      'makina-states.cloud.lxc.vms.cn:\n  a.example.com: {}\nmakina-states.cloud.lxc.vms.cn:\n  b.example.com: {}\n',
    );
    expect(dup.editBlocker).toMatchObject({ code: 'duplicate-key', where: { line: 3 } });
  });

  it('reads empty files and entries', () => {
    expect(parsePillar('p.sls', '').model.vms).toEqual([]);
    expect(parsePillar('p.sls', '# only a comment\n').editBlocker).toBeUndefined();
    expect(parsePillar('p.sls', 'makina-states.cloud.lxc.vms.cn:\n  a.example.com:\n').model.vms[0]!.keys).toEqual({});
  });

  it('reuses a parse held already only for the same path and the same bytes, with the facts read now', async () => {
    const s = await scratch();
    try {
      const p = await s.file('lxc.sls');
      await copyFile(SEED, p);
      const a = await readPillar(p);
      await chmod(p, 0o640);
      const b = await readPillar(p, [undefined, a]);
      expect(b.model).toBe(a.model); // not parsed again
      expect(b.facts!.mode & 0o777).toBe(0o640);
      expect(a.facts!.mode & 0o777).not.toBe(0o640);
      // the same bytes under another path: parsed (the findings name their file)
      const q = await s.file('other.sls');
      await copyFile(p, q);
      const other = await readPillar(q, [a, b]);
      expect(other.model).not.toBe(a.model);
      expect(other.model).toEqual(parsePillar(q, other.text).model);
      // one byte more: parsed again
      await appendFile(p, 'makina-states.cloud.lxc.vms.devhost10.local.late.example.com: {}\n');
      const c = await readPillar(p, [a, b]);
      expect(c.model).not.toBe(a.model);
      expect(c.model.vms.map((v) => v.name)).toContain('late.example.com');
      expect(c.facts!.size).toBe((await stat(p)).size);
    } finally {
      await s.cleanup();
    }
  });
});
