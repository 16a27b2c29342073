// The console's "now" in event time. Events carry the times the build recorded.
// Between events the clock ticks on from the wall clock, so elapsed time and
// running durations move while a long instruction prints nothing. A replayed
// recording, whose event times are in the past, follows its events.

import { useEffect, useMemo, useState } from 'react';

/** How often the elapsed time on screen moves while a run goes on. */
export const CLOCK_INTERVAL_MS = 1000;

/**
 * Returns the later of the latest event time and the run's start time plus the
 * wall time since this run arrived; ticks while `running`.
 */
export function useRunClock(runSeq: number, startedAt: number | undefined, lastEventAt: number | undefined, running: boolean): number {
  const arrivedAt = useMemo(() => Date.now(), [runSeq]);
  const [wallNow, setWallNow] = useState(() => Date.now());

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setWallNow(Date.now()), CLOCK_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [running]);

  if (startedAt === undefined) return lastEventAt ?? 0;
  return Math.max(lastEventAt ?? startedAt, startedAt + Math.max(0, wallNow - arrivedAt));
}
