import { useEffect, useState } from 'react';

/** The time, ticking while `running`: elapsed times on the run view move, and stop when it ends. */
export function useClock(running: boolean, everyMs = 200): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [running, everyMs]);
  return now;
}
