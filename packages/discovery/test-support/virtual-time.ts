/**
 * Virtual time for discovery's unit tests: core's TestClock (from `@cohort/core/testing`, the one test clock of the
 * repository), started at an epoch-like instant because strategies and the cluster log wall times, and letting a few
 * event-loop rounds pass between firings so the promise chains a strategy hangs on a timer (a lookup, a backoff) have
 * settled when `advance` returns. No real sleeps.
 */
import { TestClock } from '@cohort/core/testing'

/** Lets queued microtasks and already-due I/O callbacks run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A TestClock at 2023-11-14 that flushes between firings. */
export function testClock(): TestClock {
  const clock = new TestClock(1_700_000_000_000)
  clock.quiesce = () => flush()
  return clock
}
