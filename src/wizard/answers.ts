import type { EntryChoices } from '../core/entry.js';
import { parseProfileType, PROFILE_TYPES, profileTypeFor } from '../core/profile-types.js';
import type { WizardDefaults } from './services.js';
import type { Answers } from './types.js';

/**
 * The entry choices the answers make: the profile type always, everything else only where it
 * differs from the defaults, or where the entry being edited already names it (so that going back
 * to a default is written, not left to the old value).
 */
export function choicesOf(a: Answers, d: WizardDefaults, existing: Record<string, unknown> = {}): EntryChoices {
  const c: EntryChoices = {};
  const has = (key: string) => Object.hasOwn(existing, key);
  if (!a.backing || !a.install) return c;
  const type = profileTypeFor(a.backing, a.install);
  c.profileType = type;
  if (PROFILE_TYPES[type].sized && a.size && (a.size !== d.size || has('profile'))) c.size = a.size;
  if (a.mode !== d.mode || has('mode')) c.mode = a.mode;
  if (a.install === 'clone' && a.origin && (a.origin !== d.origin || has('from_container'))) c.fromContainer = a.origin;
  if (a.install === 'create' && a.image && (a.image !== d.image || has('image'))) c.image = a.image;
  const adv = a.advanced;
  if (adv.ip) c.ip = adv.ip;
  if (adv.mac) c.mac = adv.mac;
  if (adv.password) c.password = adv.password;
  if (adv.branch) c.branch = adv.branch;
  if (adv.snapshot !== undefined) c.snapshot = adv.snapshot;
  if (adv.autostart === false || (adv.autostart !== undefined && has('autostart'))) c.autostart = adv.autostart;
  return c;
}

/** The answers back from an existing entry ("edit that VM"): every key the wizard asks about. */
export function answersFromEntry(node: string, name: string, keys: Record<string, unknown>, base: Answers, d: WizardDefaults): Answers {
  const t = parseProfileType(keys.profile_type).type;
  const type = t ? PROFILE_TYPES[t] : undefined;
  const str = (k: string) => (typeof keys[k] === 'string' ? (keys[k] as string) : undefined);
  const bool = (k: string) => (typeof keys[k] === 'boolean' ? (keys[k] as boolean) : undefined);
  return {
    ...base,
    node,
    name,
    backing: type?.backing ?? base.backing,
    install: type?.install ?? base.install,
    origin: str('from_container') ?? d.origin,
    image: str('image') ?? d.image,
    size: str('profile') !== undefined && Object.hasOwn(d.sizes, str('profile')!) ? str('profile') : d.size,
    mode: keys.mode === 'salt' || keys.mode === 'mastersalt' ? keys.mode : d.mode,
    advanced: Object.fromEntries(
      Object.entries({
        ip: str('ip'),
        mac: str('mac'),
        password: str('password'),
        branch: str('bootsalt_branch'),
        snapshot: bool('snapshot'),
        autostart: bool('autostart'),
      }).filter(([, v]) => v !== undefined),
    ),
  };
}
