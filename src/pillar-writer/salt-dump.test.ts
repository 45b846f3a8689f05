import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dumpSaltYaml } from './salt-dump.js';

const havePyYaml =
  existsSync('/usr/bin/python3') &&
  (() => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import yaml'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

// Strings that a naive writer leaves plain and YAML 1.1 reads as something else.
const TRICKY = {
  mac: '00:16:3e:12:34:56',
  sexagesimal: '1:20',
  octal: '0700',
  yes: 'yes',
  on: 'On',
  tilde: '~',
  exp: '1e3',
  float: '.5',
  colon: 'a: b',
  hash: 'x #y',
  empty: '',
  ip: '10.5.0.2',
  date: '2014-05-28',
  underscore: '1_000',
};

describe('dumpSaltYaml', () => {
  it('writes a header and a document that reads back the same', () => {
    const text = dumpSaltYaml({ a: { list: ['8.8.8.8'], b: true, port: 4606, n: null, ...TRICKY } }, 'line one\nline two');
    expect(text.startsWith('# line one\n# line two\n')).toBe(true);
    expect(text).toContain('port: 4606');
    expect(text).toContain('b: true');
  });

  it('writes a value shared in memory out in full each time, never as an anchor and alias', () => {
    const shared = ['8.8.8.8'];
    const text = dumpSaltYaml({ a: { dns: shared }, b: { dns: shared } }, 'h');
    expect(text).not.toMatch(/[&*]a\d/);
    expect(text.match(/- 8\.8\.8\.8/g)).toHaveLength(2);
  });

  it.skipIf(!havePyYaml)('python3-yaml reads every value as the string or value written', () => {
    const data = { a: { list: ['8.8.8.8'], b: true, port: 4606, n: null, ...TRICKY } };
    const text = dumpSaltYaml(data, 'h');
    const json = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read()), default=str))'],
      {
        input: text,
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(json)).toEqual(data);
  });
});
