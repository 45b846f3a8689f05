import { createHash, randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { isPair, isScalar, parseDocument, visit, type Document } from 'yaml';
import { isSecretKey } from '../core/fields.js';
import type { PillarFile } from './read.js';
import { SALT_YAML } from './yaml-salt.js';

/** The unified diff a reviewer reads before a write: `a/` and `b/` labels as git shows them. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const label = path.replace(/^\/+/, '');
  return createTwoFilesPatch(`a/${label}`, `b/${label}`, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('===='))
    .join('\n');
}

/** Per process: the same secret gets the same tag in both texts, and the tag tells nothing of it. */
const SALT = randomBytes(16);
const tagOf = (secret: string) => createHash('sha256').update(SALT).update(secret).digest('hex').slice(0, 6);

/**
 * The text with every secret value (password, ssh_gateway_password, wherever they stand, as nested
 * keys or as flat keys ending in `.password`) replaced
 * by `<hidden #tag>`: equal secrets show equal tags, so a changed password still shows as a change.
 */
export function maskSecrets(file: PillarFile): string {
  return file.doc ? maskSecretsIn(file.text, file.doc) : file.text;
}

function maskSecretsIn(text: string, doc: Document): string {
  const spans: [number, number, string][] = [];
  visit(doc, {
    Pair(_k, p) {
      if (!isPair(p) || !isScalar(p.key) || !isSecretKey(String(p.key.value))) return;
      const v = p.value;
      if (isScalar(v) && v.range && v.value !== null && v.value !== undefined)
        spans.push([v.range[0], v.range[1], `<hidden #${tagOf(String(v.value))}>`]);
    },
  });
  let out = text;
  for (const [a, b, t] of spans.sort((x, y) => y[0] - x[0])) out = out.slice(0, a) + t + out.slice(b);
  return out;
}

/** The diff of a pillar edit, secrets masked on both sides. */
export function pillarDiff(before: PillarFile, after: PillarFile): string {
  return unifiedDiff(before.path, maskSecrets(before), maskSecrets(after));
}

/** The diff of any Salt YAML text (salt-cloud's files), secrets masked on both sides. */
export function maskedDiff(path: string, before: string, after: string): string {
  const mask = (t: string) => (t ? maskSecretsIn(t, parseDocument(t, SALT_YAML)) : t);
  return unifiedDiff(path, mask(before), mask(after));
}
