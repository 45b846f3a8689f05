import type { Mode } from './defaults.js';
import type { ProfileTypeName } from './profile-types.js';

/**
 * What an operator chooses for a VM entry, one shape for the wizard's answers and for `add`'s
 * flags: both write the entry through `entryOf`, so an equivalent `add` command written from the
 * wizard's choices makes the same entry, byte for byte.
 */
export interface EntryChoices {
  profileType?: ProfileTypeName;
  /** a size name: written `profile: <size>`, the seed's spelling */
  size?: string;
  mode?: Mode;
  fromContainer?: string;
  image?: string;
  ip?: string;
  mac?: string;
  password?: string;
  branch?: string;
  snapshot?: boolean;
  autostart?: boolean;
}

/** Choice → pillar key → add flag, in the order the keys are written. */
export const CHOICE_KEYS = [
  ['profileType', 'profile_type', '--profile-type'],
  ['size', 'profile', '--size'],
  ['mode', 'mode', '--mode'],
  ['fromContainer', 'from_container', '--from-container'],
  ['image', 'image', '--image'],
  ['ip', 'ip', '--ip'],
  ['mac', 'mac', '--mac'],
  ['password', 'password', '--password-file'],
  ['branch', 'bootsalt_branch', '--bootsalt-branch'],
  ['snapshot', 'snapshot', '--snapshot'],
  ['autostart', 'autostart', '--autostart'],
] as const satisfies readonly (readonly [keyof EntryChoices, string, string])[];

/** The pillar keys of the choices, in one fixed order. */
export function entryOf(c: EntryChoices): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  for (const [choice, key] of CHOICE_KEYS) if (c[choice] !== undefined) e[key] = c[choice];
  return e;
}

/**
 * The `add` flags that make the same entry. A password never goes in argv: `--password-file`
 * names the file to put it in (`passwordFile`, a placeholder unless the caller has one).
 */
export function addFlags(c: EntryChoices, passwordFile = 'FILE'): string[] {
  const out: string[] = [];
  for (const [choice, , flag] of CHOICE_KEYS) {
    const v = c[choice];
    if (v === undefined) continue;
    out.push(flag, choice === 'password' ? passwordFile : typeof v === 'boolean' ? (v ? 'yes' : 'no') : v);
  }
  return out;
}

/** `--snapshot yes|no`, `--autostart yes|no`: the words add takes for a boolean key. */
export function parseYesNo(v: string): boolean | undefined {
  return v === 'yes' || v === 'true' ? true : v === 'no' || v === 'false' ? false : undefined;
}
