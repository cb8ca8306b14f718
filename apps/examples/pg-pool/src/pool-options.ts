/**
 * The options of a supervised PostgreSQL pool, their defaults and their validation: how many connections, how long a
 * caller may wait for one, how long a statement may run, how often the connections may fail before their supervisor
 * gives up, and what happens then. Resolved once, when the pool is created.
 */
import { InvalidOptionError, systemRandom } from '@cohort/core'
import type { Random } from '@cohort/core'
import type pg from 'pg'

/** What the pool does when its connections' supervisor exceeds its restart intensity (the database is gone). */
export type GiveUpPolicy = 'backoff' | 'escalate'

/** Options of createPool. */
export interface PoolOptions {
  /** Where to connect: host, port, user, password, database, ssl… as the `pg` driver takes them. Required. */
  connection: pg.ClientConfig
  /** Connection actors kept alive. @default 4 */
  size?: number
  /** Registered-name prefix of the pool's actors (`<name>.manager`); two pools in one node need two names. @default 'pg-pool' */
  name?: string
  /** Callers that may wait for a connection at once; one more is refused with COHORT_ERR_POOL_QUEUE_FULL. @default 100 */
  maxWaiting?: number
  /** How long `checkout` (and so `query`) waits for a free connection. @default 5_000 */
  checkoutTimeoutMs?: number
  /** How long a statement may run; past it the connection is treated as hung and replaced. @default 5_000 */
  queryTimeoutMs?: number
  /** How long connecting may take before the attempt fails. @default 5_000 */
  connectTimeoutMs?: number
  /**
   * How often the server checks that the client is still there while a statement runs (PostgreSQL 14+'s
   * `client_connection_check_interval`), so that a statement abandoned after a timeout stops on the server too instead
   * of holding a backend until it finishes. 0 leaves the server's setting alone. @default 1_000
   */
  serverCheckIntervalMs?: number
  /**
   * Restarts of connection actors allowed within `withinMs` before their supervisor gives up. Sized to the pool: a
   * server restart kills every connection at once and that alone must not count as "gone for good".
   * @default { maxRestarts: 2 × size, withinMs: 5_000 }
   */
  intensity?: { maxRestarts: number; withinMs: number }
  /**
   * `'backoff'`: the pool keeps retrying with capped exponential backoff, reports not ready, and the node lives on.
   * `'escalate'`: the pool's own supervisor exits, and the supervisor above it decides (in a node whose root gives up
   * too, /livez turns false and Kubernetes restarts the pod). @default 'backoff'
   */
  onGiveUp?: GiveUpPolicy
  /** First wait before the connections are started again after a give-up. @default 250 */
  backoffInitialMs?: number
  /** Longest wait between attempts while the database stays away. @default 5_000 */
  backoffMaxMs?: number
  /** Jitter source for the backoff. @default systemRandom */
  random?: Random
}

/** PoolOptions with every default filled in. */
export interface ResolvedPoolOptions {
  connection: pg.ClientConfig
  size: number
  name: string
  maxWaiting: number
  checkoutTimeoutMs: number
  queryTimeoutMs: number
  connectTimeoutMs: number
  serverCheckIntervalMs: number
  intensity: { maxRestarts: number; withinMs: number }
  onGiveUp: GiveUpPolicy
  backoffInitialMs: number
  backoffMaxMs: number
  random: Random
}

/** The defaults of PoolOptions (`intensity` is derived from `size`). */
export const DEFAULT_POOL_OPTIONS: Readonly<{
  size: number
  name: string
  maxWaiting: number
  checkoutTimeoutMs: number
  queryTimeoutMs: number
  connectTimeoutMs: number
  serverCheckIntervalMs: number
  intensityWithinMs: number
  onGiveUp: GiveUpPolicy
  backoffInitialMs: number
  backoffMaxMs: number
}> = Object.freeze({
  size: 4,
  name: 'pg-pool',
  maxWaiting: 100,
  checkoutTimeoutMs: 5_000,
  queryTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  serverCheckIntervalMs: 1_000,
  intensityWithinMs: 5_000,
  onGiveUp: 'backoff',
  backoffInitialMs: 250,
  backoffMaxMs: 5_000,
})

/** `value` if it is an integer of at least `min`; otherwise an InvalidOptionError naming `option`. */
function positiveInteger(option: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `an integer >= ${min}`)
  }
  return value
}

/**
 * The longest timeout the pool takes: a day. Its timers are Node's, which fire a delay past 2^31 - 1 ms (24.8 days)
 * after 1 ms, so an unbounded one would time every statement out at once; a day is already past any wait a caller
 * means.
 */
export const MAX_TIMEOUT_MS = 86_400_000

/** `value` if it is a whole number of milliseconds from 1 to MAX_TIMEOUT_MS; otherwise an InvalidOptionError. */
export function checkTimeoutMs(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new InvalidOptionError(option, value, `a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS} (a day)`)
  }
  return value
}

/**
 * Merges over the defaults and checks every field.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) naming the option and the value
 */
export function resolvePoolOptions(input: PoolOptions): ResolvedPoolOptions {
  const d = DEFAULT_POOL_OPTIONS
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('options', input, 'an object with at least `connection`')
  if (typeof input.connection !== 'object' || input.connection === null) {
    throw new InvalidOptionError('connection', input.connection, 'the pg connection settings, e.g. { host, port, user, database }')
  }
  const size = positiveInteger('size', input.size ?? d.size)
  const name = input.name ?? d.name
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new InvalidOptionError('name', name, 'letters, digits, _ . -')
  const onGiveUp = input.onGiveUp ?? d.onGiveUp
  if (onGiveUp !== 'backoff' && onGiveUp !== 'escalate') throw new InvalidOptionError('onGiveUp', onGiveUp, "'backoff' or 'escalate'")
  const intensity = input.intensity ?? { maxRestarts: 2 * size, withinMs: d.intensityWithinMs }
  positiveInteger('intensity.maxRestarts', intensity.maxRestarts, 0)
  positiveInteger('intensity.withinMs', intensity.withinMs)
  const backoffInitialMs = positiveInteger('backoffInitialMs', input.backoffInitialMs ?? d.backoffInitialMs)
  const backoffMaxMs = positiveInteger('backoffMaxMs', input.backoffMaxMs ?? d.backoffMaxMs)
  if (backoffMaxMs < backoffInitialMs) throw new InvalidOptionError('backoffMaxMs', backoffMaxMs, `a number >= backoffInitialMs (${backoffInitialMs})`)
  return {
    connection: input.connection,
    size,
    name,
    maxWaiting: positiveInteger('maxWaiting', input.maxWaiting ?? d.maxWaiting, 0),
    checkoutTimeoutMs: checkTimeoutMs('checkoutTimeoutMs', input.checkoutTimeoutMs ?? d.checkoutTimeoutMs),
    queryTimeoutMs: checkTimeoutMs('queryTimeoutMs', input.queryTimeoutMs ?? d.queryTimeoutMs),
    connectTimeoutMs: checkTimeoutMs('connectTimeoutMs', input.connectTimeoutMs ?? d.connectTimeoutMs),
    serverCheckIntervalMs: positiveInteger('serverCheckIntervalMs', input.serverCheckIntervalMs ?? d.serverCheckIntervalMs, 0),
    intensity: { maxRestarts: intensity.maxRestarts, withinMs: intensity.withinMs },
    onGiveUp,
    backoffInitialMs,
    backoffMaxMs,
    random: input.random ?? systemRandom,
  }
}
