/**
 * The schedule every open loop in the suite follows: send i is due at `i / rate` after the start, so the first is
 * due at once and each one as soon as its time has come. A loop that wakes at `elapsed` issues every send not yet
 * issued below `sendsDue(elapsed, rate)`, each measured from its own intended time.
 *
 * Gotcha: `Math.floor(elapsed * rate)` alone counts the sends whose time has *passed*, so it issues each send one
 * interval after its intended time and adds that interval to every latency (half a millisecond at 2,000 sends/s).
 */
import { metronome } from './metronome.ts'
import type { TickSource } from './metronome.ts'

/** How many sends are due `elapsed` after the start, at `rate` sends per unit of `elapsed`. */
export function sendsDue(elapsed: number, rate: number): number {
  return Math.floor(elapsed * rate) + 1
}

/** Microseconds on the machine-wide monotonic clock (CLOCK_MONOTONIC is the same in every process). */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

/**
 * Runs an open loop at `rate` sends per second on `ticks` (by default the metronome's, metronome.ts: every 250 µs,
 * where Node's timers fire on the millisecond at best) and calls `issue` for every send whose time has come, with the
 * send's index, its intended time and the tick's time (µs, `nowUs`). The schedule starts at the first tick, so the
 * worker's start-up is not counted as lateness. The chat's generator, `replicated.delay`'s writer and its bare-ws
 * baseline all run on it, so they see the same ticks. Returns a function that stops the loop.
 */
export function onTicks(rate: number, issue: (i: number, intendedUs: number, tickUs: number) => void, ticks: TickSource = metronome()): () => void {
  let start: number | undefined
  let i = 0
  return ticks(() => {
    const now = nowUs()
    start ??= now
    const due = sendsDue(now - start, rate / 1e6)
    for (; i < due; i++) issue(i, start + (i * 1e6) / rate, now)
  })
}
