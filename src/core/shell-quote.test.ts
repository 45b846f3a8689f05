import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unquote } from '../../test/helpers/fake-node.js';
import { shJoin, shQuote, withRemoteTimeout } from './shell-quote.js';

/** What a real /bin/sh (dash here) receives as argv after reading our quoted text. */
function throughSh(args: string[]): string[] {
  const out = execFileSync('/bin/sh', ['-c', `for a in ${args.map(shQuote).join(' ')}; do printf '%s\\0' "$a"; done`], {
    encoding: 'utf8',
  });
  return out.split('\0').slice(0, -1);
}

const hostile = fc
  .oneof(
    fc.constantFrom(
      '$(reboot)',
      '`id`',
      '; rm -rf /',
      "it's",
      '"',
      "'",
      '\\',
      '$HOME',
      '${x}',
      '*',
      '?',
      '~',
      '!',
      '&&',
      '|',
      '>x',
      '<x',
      '#',
      ' ',
      '\t',
      '\n',
      '-n',
      '--',
      '',
      'ü',
      '\u202e',
      '\u00a0',
    ),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
  )
  .filter((s) => !s.includes('\0'));

describe('shell quoting', () => {
  it('delivers any string to a real sh unchanged, hostile ones included', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 8 }), (args) => {
        expect(throughSh(args)).toEqual(args);
      }),
      { numRuns: 150 },
    );
  });
  it("is read back by the test FakeNode's unquote exactly (the batches it runs are what a shell would run)", () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 8 }), (args) => {
        expect(unquote(shJoin(args))).toEqual(args);
      }),
    );
  });

  it('leaves plain words alone and quotes the rest', () => {
    expect(shQuote('lxc-copy')).toBe('lxc-copy');
    expect(shQuote('/var/lib/lxc/a.b/config')).toBe('/var/lib/lxc/a.b/config');
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
    expect(shQuote('')).toBe("''");
    expect(shJoin(['echo', 'a b'])).toBe("echo 'a b'");
  });
  it('refuses NUL, which no argv can carry', () => {
    expect(() => shJoin(['a\0b'])).toThrow(/NUL/);
  });
  it('bounds every remote command with timeout', () => {
    expect(withRemoteTimeout(['lxc-start', '-n', 'x'], 120)).toEqual(['timeout', '--kill-after=5', '120', 'lxc-start', '-n', 'x']);
  });
});
