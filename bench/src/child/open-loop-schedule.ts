/**
 * The schedule every open loop in the suite follows: send i is due at `i / rate` after the start, so the first is
 * due at once and each one as soon as its time has come. A loop that wakes at `elapsed` issues every send not yet
 * issued below `sendsDue(elapsed, rate)`, each measured from its own intended time.
 *
 * Gotcha: `Math.floor(elapsed * rate)` alone counts the sends whose time has *passed*, so it issues each send one
 * interval after its intended time and adds that interval to every latency (half a millisecond at 2,000 sends/s).
 */

/** How many sends are due `elapsed` after the start, at `rate` sends per unit of `elapsed`. */
export function sendsDue(elapsed: number, rate: number): number {
  return Math.floor(elapsed * rate) + 1
}
