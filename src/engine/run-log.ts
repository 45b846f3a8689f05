import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent, RunListener } from '../core/run-events.js';

const TAIL = 50;

export function tail(s: string | undefined, lines = TAIL): string | undefined {
  if (!s) return undefined;
  const all = s.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Replace every secret wherever it appears; longest first so overlapping secrets leave no piece. */
export function redactor(secrets: readonly string[]): (s: string) => string {
  const list = [...new Set(secrets.filter((x) => x && x.length >= 4))].sort((a, b) => b.length - a.length);
  return (s) => list.reduce((acc, x) => acc.split(x).join('<redacted>'), s);
}

/** One JSON line per event; every string passes the redactor first. Written synchronously: a crash keeps what happened. */
export class RunLog {
  private fd: number | undefined;
  constructor(
    readonly path: string,
    private readonly redact: (s: string) => string,
  ) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // appended to, created 0600, never through a link (the app checked the directory's owner)
    this.fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  }
  readonly listener: RunListener = (e: RunEvent) => this.write(e);
  write(e: object): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, this.redact(JSON.stringify({ at: new Date().toISOString(), ...e })) + '\n');
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
