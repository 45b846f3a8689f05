import { posix } from 'node:path';
import { UserError } from './errors.js';

/**
 * `dir/name` for a name that came from argv or a pillar: one path component, never `.`/`..`, no
 * NUL, and the result provably inside `dir`. Names are checked by their own rules first; this is
 * the last guard before a path reaches the file system.
 */
export function childPath(dir: string, name: string): string {
  const ok = name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
  const joined = posix.join(dir, name);
  if (!ok || posix.dirname(joined) !== posix.normalize(dir).replace(/\/$/, '') || posix.basename(joined) !== name) {
    throw new UserError(`refusing the path component ${JSON.stringify(name)} under ${dir}`, {
      where: { field: 'name' },
      hint: 'names are host names: letters, digits, dots and dashes',
    });
  }
  return joined;
}
