import { describe, expect, it } from 'vitest';
import { parseProfileType, PROFILE_TYPES, profileTypeFor } from './profile-types.js';
import { DEFAULT_SIZE, SIZES, SIZE_NAMES } from './sizes.js';

describe('profile types', () => {
  it('give each type its intended backing and install mode (no substring rules)', () => {
    expect(PROFILE_TYPES['dir-scratch']).toMatchObject({ backing: 'dir', install: 'create', sized: false });
    expect(PROFILE_TYPES.lvm).toMatchObject({ backing: 'lvm', install: 'clone', sized: true });
    expect(PROFILE_TYPES['lvm-scratch']).toMatchObject({ backing: 'lvm', install: 'create', sized: true });
    expect(PROFILE_TYPES.overlayfs).toMatchObject({ backing: 'overlayfs', install: 'clone', sized: false });
    expect(PROFILE_TYPES['overlayfs-scratch']).toMatchObject({ backing: 'overlayfs', install: 'create' });
    expect(PROFILE_TYPES.dir).toMatchObject({ backing: 'dir', install: 'clone' });
  });
  it('map each (backing, install) pair to exactly one type', () => {
    expect(profileTypeFor('dir', 'create')).toBe('dir-scratch');
    expect(profileTypeFor('lvm', 'clone')).toBe('lvm');
    expect(profileTypeFor('overlayfs', 'create')).toBe('overlayfs-scratch');
  });
  it("read the seed's lvm-sratch as lvm-scratch and say so", () => {
    expect(parseProfileType('lvm-sratch')).toEqual({ type: 'lvm-scratch', aliasOf: 'lvm-sratch' });
    expect(parseProfileType('lvm-scratch')).toEqual({ type: 'lvm-scratch' });
    expect(parseProfileType('zfs')).toEqual({});
    expect(parseProfileType(3)).toEqual({});
  });
});

describe('sizes', () => {
  it('are the 11 of the original, xxlarge included, medium by default', () => {
    expect(SIZE_NAMES).toHaveLength(11);
    expect(SIZES.xxlarge).toBe('50g');
    expect(SIZES.xxxtrem).toBe('2000g');
    expect(SIZES.xxxsmall).toBe('500m');
    expect(DEFAULT_SIZE).toBe('medium');
    expect(SIZES.medium).toBe('10g');
  });
});
