import { describe, expect, it } from 'vitest';
import { mcDefaults } from './mc-defaults.js';

const set = (key: string, value: unknown, line = 1) => ({ key, value, line });

describe("mc_utils.defaults, the original's merge of pillar keys into defaults", () => {
  const D = {
    dnsservers: ['8.8.8.8', '4.4.4.4'],
    defaults: { profile: 'medium', users: ['root', 'sysadmin'], bridge: 'lxcbr1' },
    profiles: { medium: { size: '10g' } },
  };
  it('flat keys replace scalars and EXTEND lists (dnsservers: [1.1.1.1] gives three servers)', () => {
    const r = mcDefaults('p', D, [
      set('p.dnsservers', ['1.1.1.1'], 3),
      set('p.defaults.profile', 'large', 4),
      set('p.profiles.medium.size', '15g', 5),
    ]);
    expect(r.value).toEqual({
      dnsservers: ['8.8.8.8', '4.4.4.4', '1.1.1.1'],
      defaults: { profile: 'large', users: ['root', 'sysadmin'], bridge: 'lxcbr1' },
      profiles: { medium: { size: '15g' } },
    });
    expect(r.sources).toEqual(
      new Map([
        ['dnsservers', 3],
        ['defaults.profile', 4],
        ['profiles.medium.size', 5],
      ]),
    );
    expect(r.unknown).toEqual([]);
  });
  it('-overrides replaces a list outright; the map form updates recursively and replaces lists', () => {
    expect(mcDefaults('p', D, [set('p.dnsservers-overrides', ['9.9.9.9'])]).value.dnsservers).toEqual(['9.9.9.9']);
    const r = mcDefaults(
      'p',
      D,
      [set('p', { defaults: { users: ['x'], bridge: 'br9', brige: 'y' }, profiles: { huge: { size: '4000g' } } }, 7)],
      {
        open: ['profiles'],
      },
    );
    expect(r.value).toMatchObject({
      defaults: { profile: 'medium', users: ['x'], bridge: 'br9' },
      profiles: { medium: { size: '10g' }, huge: { size: '4000g' } },
    });
    expect(r.sources.get('defaults.bridge')).toBe(7);
    // a closed mapping takes no new key: reported, not added
    expect(r.unknown).toEqual([{ key: 'p: {defaults.brige: …}', line: 7, guess: 'defaults.bridge' }]);
    expect(r.value.defaults).not.toHaveProperty('brige');
  });
  it('reports every key under the prefix that nothing reads, with a guess; never silence', () => {
    const r = mcDefaults(
      'p',
      D,
      [set('p.defaults.brige', 'x', 9), set('p.vms.cn1', {}, 10), set('p.whatever', 1, 11), set('other.key', 1, 12)],
      { exclude: ['vms'] },
    );
    expect(r.unknown).toEqual([
      { key: 'p.defaults.brige', line: 9, guess: 'defaults.bridge' },
      { key: 'p.whatever', line: 11, guess: undefined },
    ]);
  });
});
