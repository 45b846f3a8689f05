import { Document, parseDocument } from 'yaml';
import { canonical, saltValue, SALT_YAML } from './yaml-salt.js';

/**
 * YAML that Salt reads back as exactly `data`: the library's writer with Salt's own resolvers (so a
 * string PyYAML would read as a number, a boolean or a sexagesimal is quoted), then the text read
 * back as Salt reads it and compared. A difference is a bug here, never a file written wrong.
 */
export function dumpSaltYaml(data: Record<string, unknown>, header: string): string {
  // Values shared in memory (a defaults list) are written out each time, never as anchors.
  const doc = new Document(data, { ...SALT_YAML, aliasDuplicateObjects: false });
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  const text = doc.toString({ lineWidth: 0, indentSeq: true });
  const back = parseDocument(text, SALT_YAML);
  if (back.errors.length) throw new Error(`internal: the YAML written does not parse: ${back.errors[0]!.message}`);
  const want = JSON.stringify(canonical(asMaps(data)));
  const got = JSON.stringify(canonical(saltValue(back)));
  if (want !== got) throw new Error(`internal: the YAML written reads back differently:\n${text}`);
  return text;
}

/** Plain objects as Maps: the form saltValue gives, so both sides compare canonically. */
function asMaps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asMaps);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, asMaps(x)]));
  return v;
}
