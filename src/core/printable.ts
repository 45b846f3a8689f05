/**
 * Text from a pillar or argv reaches a terminal: control characters (ESC sequences could clear
 * the screen, retitle the window or hide lines) and bidi overrides (which reorder what is shown)
 * are made visible. Newlines and tabs stay.
 */
// C0 except \t and \n, DEL, C1, and the Unicode bidi and direction marks.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const cp = c.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

/** JSON for a terminal: the same characters escaped as \uXXXX, so the document stays valid JSON. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
