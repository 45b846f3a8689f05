import { describe, expect, it } from 'vitest';
import { clockNow, elapsed } from './clock.js';

describe('the one clock of the views', () => {
  it('never shows a negative duration: a step that started after the last tick is at 0', () => {
    const tick = clockNow();
    const started = clockNow() + 100; // an event after the tick the view draws with
    expect(elapsed(tick, started)).toBe(0);
    expect(elapsed(started + 1500, started)).toBe(1500);
  });
});
