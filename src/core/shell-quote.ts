/**
 * The one place a value becomes shell text. Commands are argv arrays everywhere else; they are
 * joined here, at the transport boundary, so quoting is decided once and property-tested once.
 */
const SAFE = /^[A-Za-z0-9_/.,:=+@%^-]+$/;

export function shQuote(s: string): string {
  if (s.length > 0 && SAFE.test(s)) return s;
  // Inside single quotes nothing is special except the quote itself: close, escape it, reopen.
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export function shJoin(argv: readonly string[]): string {
  if (argv.some((a) => a.includes('\0'))) throw new Error('a command argument contains a NUL byte');
  return argv.map(shQuote).join(' ');
}

/** `timeout` on the remote side too: a command never outlives its deadline, even if we vanish. */
export function withRemoteTimeout(argv: readonly string[], timeoutS: number): string[] {
  return ['timeout', '--kill-after=5', String(Math.max(1, Math.ceil(timeoutS))), ...argv];
}
