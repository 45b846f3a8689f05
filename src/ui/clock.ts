/**
 * The one clock every elapsed time on screen is read from: monotonic (a wall clock set back
 * meanwhile would show a negative duration), and never before a start it is compared with (a
 * step that started after the last tick of the view's clock is at 0.0s, not -0.1s).
 */
export function clockNow(): number {
  return performance.now();
}

/** Milliseconds from `start` to `now`, never negative. */
export function elapsed(now: number, start: number): number {
  return Math.max(0, now - start);
}
