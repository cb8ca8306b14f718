/**
 * Restart with backoff: a child spec's `backoff` makes its supervisor wait before it starts a failed child again,
 * longer after each failure in a row, instead of restarting it at once. OTP has no such option: a supervisor restarts
 * at once and, past its intensity, exits and leaves the decision to its parent. For a child that fails because
 * something outside the node is away (a database, a feed, an API), restarting at once only burns the intensity and
 * takes the tree down; "try again later, and say so" is the useful answer, and Elixir and Erlang users write it by hand.
 *
 * The delay before attempt n (n = 1 after the first failure) is `min(maxMs, initialMs × multiplier^(n-1))`, of which
 * the fraction `jitter` is drawn at random, so that many nodes that lost the same dependency do not return in step.
 * The count starts over once the child has run `resetAfterMs` since its last start (Akka's auto-reset) or when it
 * says it has recovered (`resetBackoff`, Akka's manual reset), and after `maxAttempts` failures in a row the
 * supervisor gives up as when its intensity is exceeded.
 *
 * This module holds the options, their defaults and validation, and the delay: pure functions of their arguments. The
 * supervisor (supervisor.ts) keeps the count per child and the timer.
 */
import { InvalidOptionError } from '../errors.ts'
import { systemRandom } from '../random.ts'
import type { Random } from '../random.ts'

/** How a supervisor waits before it starts a failed child again. */
export interface RestartBackoff {
  /** The delay before the first restart after a failure, in ms. */
  initialMs: number
  /** The longest delay, in ms. */
  maxMs: number
  /** Each failure in a row multiplies the delay by this. @default 2 */
  multiplier?: number
  /** The fraction of each delay drawn at random, 0 to 1: 0.5 waits between half the delay and all of it. @default 0.5 */
  jitter?: number
  /**
   * A child that ran this long since its last start counts as recovered: its next failure waits `initialMs` again.
   * `Infinity`: only `resetBackoff` (the child saying so) starts the count over. @default 30000
   */
  resetAfterMs?: number
  /** Failures in a row after which the supervisor gives up (stops its children, exits 'shutdown'). @default Infinity */
  maxAttempts?: number
  /** The source of the jitter; a seeded one makes the delays reproducible. @default Math.random */
  random?: Random
  /**
   * Told of each failure of the child, before the wait: with the delay, or with `delayMs: undefined` when
   * `maxAttempts` is used up and the supervisor gives up. It runs inside the supervisor: what it throws is logged.
   */
  onBackoff?(event: RestartBackoffEvent): void
}

/** A failure of a child with backoff, as `onBackoff` is told of it. */
export interface RestartBackoffEvent {
  /** The child spec's id. */
  child: string
  /** The exit reason, or the reason its start failed. */
  reason: unknown
  /** Failures in a row, 1 after the first. */
  attempt: number
  /** The wait before the next start; undefined when the supervisor gives up. */
  delayMs: number | undefined
}

/** A backoff with every default applied. */
export interface ResolvedRestartBackoff {
  initialMs: number
  maxMs: number
  multiplier: number
  jitter: number
  resetAfterMs: number
  maxAttempts: number
  random: Random
  onBackoff: ((event: RestartBackoffEvent) => void) | undefined
}

export const DEFAULT_RESTART_BACKOFF: Readonly<Pick<ResolvedRestartBackoff, 'multiplier' | 'jitter' | 'resetAfterMs' | 'maxAttempts'>> = Object.freeze({
  multiplier: 2,
  jitter: 0.5,
  resetAfterMs: 30_000,
  maxAttempts: Infinity,
})

/** Applies defaults and validates. @throws InvalidOptionError naming the field, like `children[1].backoff.maxMs` */
export function resolveRestartBackoff(input: RestartBackoff, path: string): ResolvedRestartBackoff {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError(path, input, '{ initialMs, maxMs, ... }')
  const d = DEFAULT_RESTART_BACKOFF
  const positive = (field: string, value: unknown): number => {
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new InvalidOptionError(`${path}.${field}`, value, 'a positive number of milliseconds')
    return value
  }
  const initialMs = positive('initialMs', input.initialMs)
  const maxMs = positive('maxMs', input.maxMs)
  if (maxMs < initialMs) throw new InvalidOptionError(`${path}.maxMs`, maxMs, `a number >= initialMs (${initialMs})`)
  const multiplier = input.multiplier ?? d.multiplier
  if (typeof multiplier !== 'number' || !(multiplier >= 1) || !Number.isFinite(multiplier)) throw new InvalidOptionError(`${path}.multiplier`, multiplier, 'a number >= 1')
  const jitter = input.jitter ?? d.jitter
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new InvalidOptionError(`${path}.jitter`, jitter, 'a number from 0 to 1')
  const resetAfterMs = input.resetAfterMs === undefined || input.resetAfterMs === Infinity ? (input.resetAfterMs ?? d.resetAfterMs) : positive('resetAfterMs', input.resetAfterMs)
  const maxAttempts = input.maxAttempts ?? d.maxAttempts
  if (maxAttempts !== Infinity && (!Number.isInteger(maxAttempts) || maxAttempts < 0)) throw new InvalidOptionError(`${path}.maxAttempts`, maxAttempts, 'an integer >= 0 or Infinity')
  const random = input.random ?? systemRandom
  if (typeof random !== 'function') throw new InvalidOptionError(`${path}.random`, random, 'a function returning a number in [0, 1)')
  if (input.onBackoff !== undefined && typeof input.onBackoff !== 'function') throw new InvalidOptionError(`${path}.onBackoff`, input.onBackoff, 'a function')
  return { initialMs, maxMs, multiplier, jitter, resetAfterMs, maxAttempts, random, onBackoff: input.onBackoff }
}

/** The wait before attempt `attempt` (1-based): growing from initialMs by multiplier, capped at maxMs, jittered. */
export function restartDelayMs(attempt: number, backoff: Pick<ResolvedRestartBackoff, 'initialMs' | 'maxMs' | 'multiplier' | 'jitter' | 'random'>): number {
  // The exponent is bounded so that a long outage cannot overflow to Infinity before the cap applies.
  const capped = Math.min(backoff.maxMs, backoff.initialMs * backoff.multiplier ** Math.min(attempt - 1, 1000))
  return Math.round(capped * (1 - backoff.jitter) + backoff.random() * capped * backoff.jitter)
}
