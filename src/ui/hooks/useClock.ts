import { useEffect, useState } from 'react';
import { clockNow } from '../clock.js';

/** The time, ticking while `running`: elapsed times on the run view move, and stop when it ends. */
export function useClock(running: boolean, everyMs = 200): number {
  const [now, setNow] = useState(clockNow());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(clockNow()), everyMs);
    return () => clearInterval(t);
  }, [running, everyMs]);
  return now;
}
