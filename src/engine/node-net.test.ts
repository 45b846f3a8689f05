import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeConf, forwardConf, forwardRule, masqueradeRule, NET, netScript } from './node-net.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** lxc-wizard-net's `ruleset`, run by a real sh against conf files in a temp dir instead of /etc. */
function ruleset(files: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string {
  const conf = mkdtempSync(join(tmpdir(), 'lxcw-net-'));
  dirs.push(conf);
  mkdirSync(join(conf, 'forwards'));
  mkdirSync(join(conf, 'bridges'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(conf, name), text);
  const script = join(conf, 'lxc-wizard-net');
  writeFileSync(script, netScript(NET).replace(`CONF=${NET.dir}\n`, `CONF=${conf}\n`));
  return execFileSync('/bin/sh', [script, 'ruleset'], { encoding: 'utf8', env });
}

describe('lxc-wizard-net ruleset', () => {
  it('has one DNAT per forward in each chain and one masquerade per bridge, as the checks expect them', () => {
    const out = ruleset({
      'forwards/web.example.com': forwardConf(40001, '10.5.0.10'),
      // a conf without its last newline, a key given twice (the first counts), and an operator's comment
      'forwards/db.example.com': '# kept by hand\nport=40002\nport=9\nto=10.5.0.11:22',
      // being written: never read
      'forwards/.new.example.com.lxcw-tmp.77': forwardConf(40003, '10.5.0.12'),
      'bridges/lxcbr1': bridgeConf('10.5.0.1', 16, '10.5.0.0'),
    });
    const lines = out.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'table ip lxc_wizard {}',
      'delete table ip lxc_wizard',
      'table ip lxc_wizard {',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
    ]);
    // the rules the reverse_proxy and masquerade checks look for once nft lists the table
    // prerouting: only what is addressed to the node (a VM reaching another host's port 40001 is not redirected)
    expect(out).toContain(`    fib daddr type local ${forwardRule('db.example.com', 40002, '10.5.0.11')}\n`);
    expect(out).toContain(`    fib daddr type local ${forwardRule('web.example.com', 40001, '10.5.0.10')}\n`);
    expect(lines.filter((l) => l.includes('dnat to') && !l.includes('fib daddr type local'))).toEqual([]);
    expect(out).toContain(`    ip daddr != 127.0.0.0/8 fib daddr type local ${forwardRule('web.example.com', 40001, '10.5.0.10')}\n`);
    expect(out).not.toContain('40003');
    expect(out).not.toContain('dport 9 ');
    expect(out).toContain(`    ${masqueradeRule('lxcbr1', '10.5.0.0', 16)}\n`);
    expect(lines.filter((l) => l.includes('dnat to'))).toHaveLength(4);
  });

  it('reads every conf with shell builtins: it runs with no other command at hand, whatever the number of forwards', () => {
    const files: Record<string, string> = { 'bridges/lxcbr1': bridgeConf('10.5.0.1', 16, '10.5.0.0') };
    for (let i = 0; i < 300; i++) files[`forwards/vm${i}.example.com`] = forwardConf(41000 + i, `10.5.1.${i % 250}`);
    // no sed, head or basename to fork: each load of a node with hundreds of VMs used to start
    // several processes per forward (200 forwards: 14 s of a 2-core node, now 50 ms)
    const out = ruleset(files, { PATH: '/nonexistent' });
    expect(out.split('\n').filter((l) => l.includes('dnat to'))).toHaveLength(600);
    expect(out).toContain('tcp dport 41299 dnat to 10.5.1.49:22 comment "lxcw vm vm299.example.com"');
  });
});
