import { describe, expect, it } from 'vitest';
import { COMMANDS } from './table.js';

describe('the command table', () => {
  it('every option of every command appears in its help (the help is what an operator reads)', () => {
    const missing = Object.entries(COMMANDS).flatMap(([name, c]) =>
      Object.keys(c.options ?? {})
        .filter((o) => !c.help.includes(`--${o}`))
        .map((o) => `${name} --${o}`),
    );
    expect(missing).toEqual([]);
  });
});
