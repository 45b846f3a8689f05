/**
 * The six profile types as one table. Every rule about types reads this table:
 * the original tested substrings ('scratch' in type) and so turned dir-scratch into overlayfs
 * and sent lvm to dir (original-system.md §2.3); nothing here looks inside the name.
 */
export type Backing = 'lvm' | 'dir' | 'overlayfs';
export type InstallMode = 'clone' | 'create';

export type ProfileTypeName = 'lvm' | 'lvm-scratch' | 'dir' | 'dir-scratch' | 'overlayfs' | 'overlayfs-scratch';

export interface ProfileTypeInfo {
  name: ProfileTypeName;
  backing: Backing;
  install: InstallMode;
  /** size (and volume group) apply: LVM only */
  sized: boolean;
  summary: string;
}

export const PROFILE_TYPES = {
  lvm: { name: 'lvm', backing: 'lvm', install: 'clone', sized: true, summary: 'clone an existing container (LVM backing)' },
  'lvm-scratch': { name: 'lvm-scratch', backing: 'lvm', install: 'create', sized: true, summary: 'create from a template (LVM backing)' },
  dir: { name: 'dir', backing: 'dir', install: 'clone', sized: false, summary: 'clone an existing container (directory backing)' },
  'dir-scratch': {
    name: 'dir-scratch',
    backing: 'dir',
    install: 'create',
    sized: false,
    summary: 'create from a template (directory backing)',
  },
  overlayfs: {
    name: 'overlayfs',
    backing: 'overlayfs',
    install: 'clone',
    sized: false,
    summary: 'snapshot clone of an existing container (overlayfs backing)',
  },
  'overlayfs-scratch': {
    name: 'overlayfs-scratch',
    backing: 'overlayfs',
    install: 'create',
    sized: false,
    summary: 'create from a template (overlayfs backing)',
  },
} as const satisfies Record<ProfileTypeName, ProfileTypeInfo>;
export const PROFILE_TYPE_NAMES = Object.keys(PROFILE_TYPES) as ProfileTypeName[];
export const BACKINGS: readonly Backing[] = ['lvm', 'dir', 'overlayfs'];

/** Spellings the original documents for a type, mapped to the intended type. */
const ALIASES: Record<string, ProfileTypeName> = { 'lvm-sratch': 'lvm-scratch' };

export interface ParsedProfileType {
  type?: ProfileTypeName;
  /** set when an alias was read: say so, do not fail */
  aliasOf?: string;
}

export function parseProfileType(raw: unknown): ParsedProfileType {
  if (typeof raw !== 'string') return {};
  if (Object.prototype.hasOwnProperty.call(PROFILE_TYPES, raw)) return { type: raw as ProfileTypeName };
  const alias = Object.hasOwn(ALIASES, raw) ? ALIASES[raw] : undefined;
  return alias ? { type: alias, aliasOf: raw } : {};
}

export function profileTypeInfo(t: ProfileTypeName): ProfileTypeInfo {
  return PROFILE_TYPES[t];
}

export function profileTypeFor(backing: Backing, install: InstallMode): ProfileTypeName {
  const found = PROFILE_TYPE_NAMES.find((n) => PROFILE_TYPES[n].backing === backing && PROFILE_TYPES[n].install === install);
  // The table covers every (backing, install) pair.
  return found!;
}
