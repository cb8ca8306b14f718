/**
 * Restart intensity: the sliding window that decides when a supervisor gives up. A pure function of the restart
 * timestamps and `now`, as OTP's add_restart: keep the restarts within `withinMs`, add this one, and the intensity
 * is exceeded when more than `maxRestarts` remain.
 */

/** At most `maxRestarts` restarts within `withinMs`; one more and the supervisor exits. */
export interface Intensity {
  maxRestarts: number
  withinMs: number
}

/** Records a restart at `now`; returns the restarts still in the window and whether the intensity is exceeded. */
export function addRestart(restarts: readonly number[], now: number, intensity: Intensity): { restarts: number[]; exceeded: boolean } {
  const kept = restarts.filter((t) => now - t < intensity.withinMs)
  kept.push(now)
  return { restarts: kept, exceeded: kept.length > intensity.maxRestarts }
}
