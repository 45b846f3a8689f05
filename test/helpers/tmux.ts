import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });

/** Why terminal tests cannot run here, or undefined. */
export function tmuxMissing(): string | undefined {
  return existsSync('/usr/bin/tmux') ? undefined : '/usr/bin/tmux is missing (bash .ci/run installs it)';
}

/**
 * A program on a real terminal (tmux), one session per test: `end()` in afterEach kills it whatever
 * happened, so a failed test never leaves a session that the next one would collide with.
 */
export class Terminal {
  private name = '';
  private count = 0;
  constructor(
    private readonly prefix: string,
    private readonly size = { columns: 110, lines: 50 },
  ) {}

  /** Run `cmd` (a shell line); it prints EXIT=<status> when it ends and stays on screen. */
  start(cmd: string, unset: string[] = []): void {
    this.name = `${this.prefix}-${process.pid}-${++this.count}`;
    const env = ['env', '-u', 'CI', ...unset.flatMap((u) => ['-u', u])].join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(this.size.columns),
      '-y',
      String(this.size.lines),
      `${env} ${cmd}; echo EXIT=$?; sleep 600`,
    );
  }

  /** The screen as text; with escapes (colours) when asked. */
  screen(escapes = false): string {
    return escapes ? tmux('capture-pane', '-p', '-e', '-t', this.name) : tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Wait for what the test owns on screen; a RegExp where the machine's state could add to the line. */
  async waitFor(text: string | RegExp, ms = 60_000): Promise<string> {
    const until = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
      if (Date.now() > until) throw new Error(`"${String(text)}" did not appear; the screen was:\n${s}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async keys(...k: string[]): Promise<void> {
    for (const key of k) {
      tmux('send-keys', '-t', this.name, key);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  end(): void {
    try {
      if (this.name) tmux('kill-session', '-t', this.name);
    } catch {
      // already gone
    }
    this.name = '';
  }
}
