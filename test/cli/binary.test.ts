import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { scratch, seedText } from '../helpers/pillar.js';

let s: Awaited<ReturnType<typeof scratch>>;
beforeEach(async () => (s = await scratch()));
afterEach(() => s.cleanup());

describe('the built binary', () => {
  it('exits with the named codes: 0, 1, 2', async () => {
    const pillar = await s.file('p.sls', await seedText());
    expect((await runBin(['--version'])).code).toBe(0);
    expect((await runBin(['validate', '--pillar', pillar])).code).toBe(1);
    expect((await runBin(['validate', '--nope'])).code).toBe(2);
    expect((await runBin([])).code).toBe(2);
  });

  it('never loses an entry when eight writers add at once; every VM gets its own IP', async () => {
    const pillar = await s.file('p.sls', '# fleet\nmakina-states.cloud.lxc.vms.cn.example.net: {}\n');
    const names = Array.from({ length: 8 }, (_, i) => `vm${i}.example.com`);
    const results = await Promise.all(names.map((n) => runBin(['add', 'cn.example.net', n, '--pillar', pillar])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const text = await readFile(pillar, 'utf8');
    expect(text.startsWith('# fleet\n')).toBe(true);
    for (const n of names) expect(text).toContain(`  ${n}: {}\n`);
    const state = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/nodes/cn.example.net.json'), 'utf8')).vms;
    const ips = names.map((n) => state[n].ip);
    expect(new Set(ips).size).toBe(8);
    expect((await runBin(['validate', '--pillar', pillar])).code).toBe(0);
  });

  it('two pillars sharing the store, six writers each at once: no entry lost, no value handed out twice', async () => {
    const a = await s.file('a.sls', 'makina-states.cloud.lxc.vms.cn.example.net: {}\n');
    const b = await s.file('b.sls', 'makina-states.cloud.lxc.vms.cn.example.net: {}\n');
    const jobs = Array.from({ length: 12 }, (_, i) => ({ pillar: i % 2 ? a : b, vm: `vm${i}.example.com` }));
    const results = await Promise.all(jobs.map((j) => runBin(['add', 'cn.example.net', j.vm, '--pillar', j.pillar])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const j of jobs) expect(await readFile(j.pillar, 'utf8')).toContain(`  ${j.vm}: {}\n`);
    const state = JSON.parse(await readFile(join(s.dir, 'cloud-controller/lxc-wizard/nodes/cn.example.net.json'), 'utf8')).vms;
    for (const key of ['ip', 'mac', 'ssh_reverse_proxy_port', 'password']) {
      const values = jobs.map((j) => state[j.vm][key]);
      expect(new Set(values).size, key).toBe(12);
    }
  });
});
