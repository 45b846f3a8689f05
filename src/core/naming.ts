import { distance } from 'fastest-levenshtein';
import { PROFILE_TYPES, type ProfileTypeName } from './profile-types.js';
import type { SizeName } from './sizes.js';

/** The original's gen_id: dots become dashes, nothing else changes (devhost10.local → devhost10-local). */
export function encodeId(id: string): string {
  return id.replaceAll('.', '-');
}

/** ms-<encoded node>[-<size>]-<type>; the size part only for LVM types. */
export function profileName(node: string, type: ProfileTypeName, size: SizeName | string): string {
  const sized = PROFILE_TYPES[type].sized ? `-${size}` : '';
  return encodeId(`ms-${node}${sized}-${type}`);
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Why `name` is not a lowercase FQDN (RFC 1123 labels, at least two), or undefined when it is.
 * The name becomes a container name, a minion id and a hosts entry, and reaches remote shells:
 * only ASCII letters, digits, dashes and dots ever pass.
 */
export function fqdnProblem(name: string, minLabels = 2): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return `is ${name.length} characters long (at most 253)`;
  if (name !== name.toLowerCase()) return 'has upper-case letters (use lower case)';
  if (name.endsWith('.')) return 'ends with a dot';
  const bad = [...name].find((c) => !/[a-z0-9.-]/.test(c));
  if (bad !== undefined) {
    const cp = bad.codePointAt(0)!;
    const shown = cp < 0x20 || cp > 0x7e ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(bad);
    return `contains ${shown}: only a-z, 0-9, '-' and '.' are allowed`;
  }
  const labels = name.split('.');
  if (labels.length < minLabels)
    return minLabels === 2 ? 'is a single label: a fully qualified name needs at least two (web01.example.com)' : 'is not a host name';
  for (const l of labels) {
    if (l.length === 0) return 'has an empty label (two dots in a row)';
    if (l.length > 63) return `has a label of ${l.length} characters (at most 63)`;
    if (!LABEL.test(l)) return `has a label '${l}' that starts or ends with '-'`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'ends with a numeric label (looks like an IP address)';
  return undefined;
}

/** Compute node ids may be a single label (localhost, a short minion id). */
export function hostnameProblem(name: string): string | undefined {
  return fqdnProblem(name, 1);
}

const COMMON_TLDS = [
  'com',
  'net',
  'org',
  'local',
  'lan',
  'io',
  'fr',
  'de',
  'uk',
  'eu',
  'info',
  'biz',
  'test',
  'example',
  'localdomain',
  'internal',
  'corp',
  'home',
  'dev',
  'app',
  'cloud',
];

/** '.coma' is probably '.com': a near miss of a common TLD. */
export function tldTypo(name: string): string | undefined {
  const tld = name.slice(name.lastIndexOf('.') + 1);
  if (COMMON_TLDS.includes(tld)) return undefined;
  return didYouMean(tld, COMMON_TLDS, 1);
}

/** LXC container names for origins: what lxc-copy accepts without surprises. */
export function containerNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name))
    return "must start with a letter or digit and hold only letters, digits, '.', '_' and '-'";
  return undefined;
}

/** A branch or template name: a conservative git-ref-like charset (reaches remote command lines). */
export function refNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/.test(name) || name.includes('..'))
    return "must hold only letters, digits, '.', '_', '/' and '-'";
  return undefined;
}

export function didYouMean(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= maxDistance && bestD > 0 ? best : undefined;
}

/**
 * An installation's instance name (LXC_WIZARD_INSTANCE): an nftables table name and, with - for _,
 * the names of its files on the nodes. Lowercase letters, digits and _.
 */
export function instanceProblem(name: string): string | undefined {
  return /^[a-z][a-z0-9_]{0,31}$/.test(name) ? undefined : 'is not an instance name: a lowercase letter, then up to 31 of a-z, 0-9 and _';
}
