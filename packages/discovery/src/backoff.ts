/**
 * Capped exponential backoff with jitter, used for reconnects (joinCluster) and for failed lookups (strategies).
 * Randomness is injected so that tests can reproduce every delay.
 */
import type { Random } from '@cohort/core'
import { InvalidOptionError } from '@cohort/core'

/** The shape of a backoff: first delay and cap. */
export interface BackoffOptions {
  /** The delay before the first retry, before jitter. */
  initialMs: number
  /** No delay is longer than this. */
  maxMs: number
}

/**
 * The delay before retry number `attempt` (1-based): `min(maxMs, initialMs * 2^(attempt-1))`, then "equal jitter",
 * a uniform pick in the upper half, so peers that failed together do not retry together yet no retry is immediate.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: Random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30)
  const base = Math.min(options.maxMs, options.initialMs * 2 ** exponent)
  return Math.round(base / 2 + (random() * base) / 2)
}

/** Validates a pair of backoff options named `<prefix>InitialMs` / `<prefix>MaxMs`. */
export function checkBackoff(prefix: string, options: BackoffOptions): void {
  if (!Number.isFinite(options.initialMs) || options.initialMs <= 0) {
    throw new InvalidOptionError(`${prefix}InitialMs`, options.initialMs, 'a positive number of milliseconds')
  }
  if (!Number.isFinite(options.maxMs) || options.maxMs < options.initialMs) {
    throw new InvalidOptionError(`${prefix}MaxMs`, options.maxMs, `a number of milliseconds >= ${prefix}InitialMs`)
  }
}
