import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeId, fqdnProblem, hostnameProblem, profileName, tldTypo } from './naming.js';
import { PROFILE_TYPE_NAMES } from './profile-types.js';

describe('profile names', () => {
  it('follow ms-<node with dashes>[-<size>]-<type>, the size only for LVM types', () => {
    expect(profileName('devhost10.local', 'lvm', 'small')).toBe('ms-devhost10-local-small-lvm');
    expect(profileName('devhost10.local', 'lvm-scratch', 'medium')).toBe('ms-devhost10-local-medium-lvm-scratch');
    expect(profileName('devhost10.local', 'dir', 'small')).toBe('ms-devhost10-local-dir');
    expect(profileName('devhost10.local', 'dir-scratch', 'xxlarge')).toBe('ms-devhost10-local-dir-scratch');
    expect(profileName('devhost10.local', 'overlayfs', 'medium')).toBe('ms-devhost10-local-overlayfs');
    expect(profileName('devhost10.local', 'overlayfs-scratch', 'medium')).toBe('ms-devhost10-local-overlayfs-scratch');
  });
  it('encode ids by replacing dots only (devhost10, not devhost-10)', () => {
    expect(encodeId('devhost10.local')).toBe('devhost10-local');
    expect(encodeId('a.b-c.d')).toBe('a-b-c-d');
  });
  it('never contain a dot or a character outside the node id charset', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,30}[a-z0-9])?$/), fc.constantFrom(...PROFILE_TYPE_NAMES), (node, type) => {
        const name = profileName(node, type, 'medium');
        expect(name).not.toContain('.');
        expect(name).toMatch(/^ms-[a-z0-9-]+$/);
      }),
    );
  });
});

describe('FQDN validation', () => {
  it.each(['web01.example.com', 'gfoobar2.test.coma', 'a.b', 'x-1.y-2.z', `${'a'.repeat(63)}.com`])('accepts %s', (n) => {
    expect(fqdnProblem(n)).toBeUndefined();
  });
  it.each([
    ['', 'is empty'],
    ['localhost', 'single label'],
    ['Web01.example.com', 'upper-case'],
    ['web01.example.com.', 'ends with a dot'],
    ['web_01.example.com', '"_"'],
    ['-web.example.com', "starts or ends with '-'"],
    ['web..example.com', 'empty label'],
    ['web.example.123', 'numeric'],
    [`${'a'.repeat(64)}.com`, 'at most 63'],
    ['wеb.example.com', 'U+0435'], // Cyrillic e
    ['web.exa mple.com', '" "'],
  ])('refuses %j (%s)', (n, why) => {
    expect(fqdnProblem(n)).toContain(why);
  });
  it('accepts single-label compute node ids such as localhost', () => {
    expect(hostnameProblem('localhost')).toBeUndefined();
    expect(hostnameProblem('devhost10.local')).toBeUndefined();
  });

  const hostile = fc.oneof(
    fc.constantFrom(
      '$(reboot)',
      '`id`',
      ';',
      '&&',
      '|',
      "'",
      '"',
      ' ',
      '\t',
      '\n',
      '\\',
      '*',
      '?',
      '>',
      '<',
      '#',
      '~',
      '!',
      '{',
      '}',
      '\u0000',
      '\u202e',
      'а',
      'е',
      'о',
      'ᴡ',
      'ⅼ',
      '．',
      '\u200b',
      'İ',
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((s) => /[^a-z0-9.-]/.test(s)),
  );
  it('never passes a name holding a shell metacharacter, space, quote or unicode look-alike', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9]{1,10}$/),
        hostile,
        fc.stringMatching(/^[a-z0-9]{0,10}$/),
        fc.constantFrom('.com', '.example.org', ''),
        (pre, bad, post, tail) => {
          const name = `${pre}${bad}${post}${tail}`;
          expect(fqdnProblem(name)).toBeDefined();
          expect(hostnameProblem(name)).toBeDefined();
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('passes only names made of [a-z0-9.-]', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        if (fqdnProblem(s) === undefined) expect(s).toMatch(/^[a-z0-9.-]+$/);
      }),
      { numRuns: 2000 },
    );
  });
  it('flags .coma as a likely .com typo, and not .com itself', () => {
    expect(tldTypo('gfoobar2.test.coma')).toBe('com');
    expect(tldTypo('gfoobar.test.com')).toBeUndefined();
    expect(tldTypo('host.example.museum')).toBeUndefined();
  });
});
