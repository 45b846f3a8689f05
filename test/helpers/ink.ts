import { act } from 'react';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  ctrlC: '\u0003',
  ctrlU: '\u0015',
  ctrlW: '\u0017',
};

export function renderApp(el: ReactElement): ReturnType<typeof render> {
  let r!: ReturnType<typeof render>;
  act(() => {
    r = render(el);
  });
  return r;
}

/** One key per act(): input handlers re-subscribe between keys (ecosystem.md §3). */
export async function press(stdin: { write(s: string): void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    await act(async () => {
      stdin.write(k);
    });
    // A lone Esc is held back by Ink's parser until the next macrotask.
    if (k === KEY.escape) await act(async () => new Promise((r) => setTimeout(r, 20)));
  }
}

export async function type(stdin: { write(s: string): void }, text: string): Promise<void> {
  for (const ch of text) await press(stdin, ch);
}

export async function settle(ms = 10): Promise<void> {
  await act(async () => new Promise((r) => setTimeout(r, ms)));
}

/** Wait (inside act) until the last frame shows `text`: a condition, never a fixed pause. */
export async function waitForFrame(lastFrame: () => string | undefined, text: string | RegExp, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const f = lastFrame() ?? '';
    if (typeof text === 'string' ? f.includes(text) : text.test(f)) return f;
    if (Date.now() > until) throw new Error(`the frame never showed ${String(text)}; it was:\n${f}`);
    await settle(10);
  }
}
