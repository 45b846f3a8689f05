import type { Mode } from '../core/defaults.js';
import type { EntryChoices } from '../core/entry.js';
import { parseYesNo } from '../core/entry.js';
import { fieldProblem } from '../core/fields.js';
import { parseProfileType } from '../core/profile-types.js';
import { isSizeName, SIZE_NAMES } from '../core/sizes.js';
import { readPasswordFile } from '../app/write-entry.js';
import { pathFlag, str, usageError } from './options.js';
import type { CommandInput } from './types.js';

/**
 * The flags as entry choices; each value is checked with the same rule validate applies to the
 * file, and the entry is written through core's entryOf, as the wizard writes it.
 */
export async function choicesFromFlags(input: CommandInput): Promise<EntryChoices> {
  const c: EntryChoices = {};
  const checked = (name: string, key: string): string | undefined => {
    const raw = str(input, name);
    if (raw === undefined) return undefined;
    const problem = fieldProblem(key, raw);
    if (problem)
      throw usageError(
        `--${name}`,
        `--${name} ${problem}`,
        name === 'profile-type' ? 'lvm, lvm-scratch, dir, dir-scratch, overlayfs or overlayfs-scratch' : 'see `lxc-wizard add --help`',
      );
    return raw;
  };
  const type = checked('profile-type', 'profile_type');
  if (type !== undefined) {
    const parsed = parseProfileType(type);
    c.profileType = parsed.type;
    if (parsed.aliasOf) input.out.warn(`--profile-type ${type} is read as ${String(parsed.type)}`);
  }
  const size = str(input, 'size');
  if (size !== undefined) {
    if (!isSizeName(size)) throw usageError('--size', `--size must be a size profile, not '${size}'`, `one of ${SIZE_NAMES.join(', ')}`);
    c.size = size;
  }
  const mode = checked('mode', 'mode');
  if (mode !== undefined) c.mode = mode as Mode;
  const set = (name: string, key: string, choice: 'fromContainer' | 'image' | 'ip' | 'mac' | 'branch') => {
    const v = checked(name, key);
    if (v !== undefined) c[choice] = v;
  };
  set('from-container', 'from_container', 'fromContainer');
  set('image', 'image', 'image');
  set('ip', 'ip', 'ip');
  set('mac', 'mac', 'mac');
  const pwFile = pathFlag(input, 'password-file');
  if (pwFile !== undefined) c.password = await readPasswordFile(pwFile);
  set('bootsalt-branch', 'bootsalt_branch', 'branch');
  for (const name of ['snapshot', 'autostart'] as const) {
    const raw = str(input, name);
    if (raw === undefined) continue;
    const v = parseYesNo(raw);
    if (v === undefined) throw usageError(`--${name}`, `--${name} takes yes or no, not '${raw}'`, `--${name} yes`);
    c[name] = v;
  }
  return c;
}
