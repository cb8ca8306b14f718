/**
 * createPool: a PostgreSQL pool as a supervision tree, and the handle to use it from anywhere in the node.
 *
 * ```
 * <name> (supervisor, restForOne)
 * ├── <name>.manager         checkout / checkin, bounded wait queue, monitors every connection
 * └── <name>.connections     (supervisor, oneForOne, intensity sized to the pool; restarted with backoff)
 *     ├── connection 1 … connection N   one pg client each
 * ```
 *
 * A connection that dies takes only its actor down; its supervisor starts a fresh one while the others serve. If the
 * database stays away past the intensity, the connections' supervisor gives up, and its child spec's `backoff` (core's
 * restart with backoff) decides: wait a growing delay and start it again (`'backoff'`, the default), or, with
 * `maxAttempts: 0`, give up at once so that the pool exits and its parent decides (`'escalate'`).
 */
import { supervisor } from '@cohort/core'
import type { ActorSystem, ChildSpec, Pid } from '@cohort/core'
import { connectionBehaviour, managerName } from './connection.ts'
import type { QueryRequest } from './connection.ts'
import { PoolError } from './pool-error.ts'
import { checkTimeoutMs, resolvePoolOptions } from './pool-options.ts'
import type { PoolOptions } from './pool-options.ts'
import { CONNECTIONS_CHILD_ID, poolManagerBehaviour } from './pool-manager.ts'
import type { CheckoutReply, PoolSnapshot } from './pool-manager.ts'
import { PoolStatus } from './pool-status.ts'
import type { PoolEvents, PoolStats } from './pool-status.ts'
import { outcomeError } from './query-outcome.ts'
import type { QueryOutcome } from './query-outcome.ts'

/** Rows of a successful statement. */
export interface QueryResult<R = Record<string, unknown>> {
  rows: R[]
  rowCount: number | null
}

/** Options of one statement. */
export interface QueryOptions {
  /**
   * The statement may run twice without harm (a SELECT, an upsert…). Only then is it retried, once, on another
   * connection when its connection died under it. @default false
   */
  idempotent?: boolean
  /** Overrides the pool's queryTimeoutMs for this statement. */
  timeoutMs?: number
  /** Overrides the pool's checkoutTimeoutMs for this statement. */
  checkoutTimeoutMs?: number
}

/** One checked-out connection. Release it exactly once; `release` after release does nothing. */
export interface Lease {
  /** The server process id of this connection (`pg_stat_activity.pid`). */
  readonly backendPid: number
  /** Runs a statement on this connection (a transaction spans several). Rejects with PoolError. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: { timeoutMs?: number }): Promise<QueryResult<R>>
  /** Gives the connection back (or lets it go, if it failed). */
  release(): void
}

/** A pool's handle. */
export interface Pool {
  /** The pool as a child of your supervision tree (a supervisor, named after the pool). */
  readonly childSpec: ChildSpec
  /**
   * Waits for a free connection. Rejects with PoolError: CHECKOUT_TIMEOUT, QUEUE_FULL or UNAVAILABLE. Name the actor
   * that holds the lease as `holder` (`ctx.self`): if it ends without releasing, the pool takes the connection back.
   */
  checkout(options?: { timeoutMs?: number; holder?: Pid }): Promise<Lease>
  /** Checks out, runs one statement, checks in; retries once on another connection if `idempotent` and it was lost. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<R>>
  /** True while at least one connection is live: the pool's part of /readyz. */
  isReady(): boolean
  /** Counters for metrics (synchronous). */
  stats(): PoolStats
  /** Asks the manager for its tables (live backends, idle, checked out, waiting). */
  describe(): Promise<PoolSnapshot>
  on<E extends keyof PoolEvents>(event: E, listener: PoolEvents[E]): void
  off<E extends keyof PoolEvents>(event: E, listener: PoolEvents[E]): void
  /** Calls `observe` with every checkout's wait in milliseconds (what the queue-wait metric records). */
  onWait(observe: (ms: number) => void): void
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' ? reason : (JSON.stringify(reason) ?? String(reason))
}

/**
 * Creates a pool for `system`. Nothing runs until `childSpec` is started, under your root supervisor or with
 * `system.start(pool.childSpec.start)`.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example
 * const pool = createPool(node.system, { connection: { host: '127.0.0.1', user: 'app', database: 'app' }, size: 4 })
 * await node.system.start(supervisor({ children: [pool.childSpec] }))
 * const { rows } = await pool.query('SELECT now() AS now', [], { idempotent: true })
 */
export function createPool(system: ActorSystem, input: PoolOptions): Pool {
  const options = resolvePoolOptions(input)
  const status = new PoolStatus(options.size)
  const manager = managerName(options.name)
  const connections = supervisor({
    name: `${options.name}.connections`,
    strategy: 'oneForOne',
    intensity: options.intensity,
    children: Array.from({ length: options.size }, (_, i) => ({
      id: `connection-${i + 1}`,
      start: connectionBehaviour(options, status),
      restart: 'permanent' as const,
    })),
  })
  const tree = supervisor({
    name: options.name,
    strategy: 'restForOne',
    children: [
      { id: 'manager', start: poolManagerBehaviour(options, status), name: manager },
      {
        id: CONNECTIONS_CHILD_ID,
        start: connections,
        name: `${options.name}.connections`,
        backoff: {
          initialMs: options.backoffInitialMs,
          maxMs: options.backoffMaxMs,
          // Recovery is a connection coming up, which the manager reports (resetBackoff), not a guessed time.
          resetAfterMs: Infinity,
          // 'escalate': the first give-up ends the pool's supervisor too, and its parent decides.
          maxAttempts: options.onGiveUp === 'escalate' ? 0 : Infinity,
          random: options.random,
          onBackoff(e) {
            status.giveUps++
            status.emit('gaveUp', { reason: describeReason(e.reason), attempt: e.attempt, retryInMs: e.delayMs })
          },
        },
      },
    ],
  })

  const unavailable = (err: unknown): PoolError =>
    new PoolError('COHORT_ERR_POOL_UNAVAILABLE', `pool ${options.name} is not running: ${describeReason(err)}`, { cause: err })

  const checkout = async (timeoutMs = options.checkoutTimeoutMs, holder?: Pid): Promise<Lease> => {
    // Checked here, in the caller: the manager's timer would refuse it, and the manager serves every caller.
    checkTimeoutMs('timeoutMs', timeoutMs)
    let reply: CheckoutReply
    try {
      // The manager answers by the deadline itself; the call's own timeout only guards against a stuck manager.
      reply = await system.call<CheckoutReply>(manager, { type: 'checkout', timeoutMs, holder }, timeoutMs + 5_000)
    } catch (err) {
      throw unavailable(err)
    }
    if (!reply.ok) throw new PoolError(reply.code, reply.message)
    const { pid, backendPid } = reply
    let released = false
    let broken = false
    return {
      backendPid,
      async query<R>(sql: string, params: unknown[] = [], queryOptions: { timeoutMs?: number } = {}): Promise<QueryResult<R>> {
        if (released) throw new Error('this lease was released; check out another connection')
        const request: QueryRequest = { type: 'query', sql, params, timeoutMs: checkTimeoutMs('timeoutMs', queryOptions.timeoutMs ?? options.queryTimeoutMs) }
        let outcome: QueryOutcome
        try {
          outcome = await system.call<QueryOutcome>(pid as Pid, request, request.timeoutMs + 5_000)
        } catch (err) {
          // The connection actor ended before answering: its connection is gone.
          outcome = { ok: false, failure: 'connectionLost', message: describeReason(err) }
        }
        if (outcome.ok) return { rows: outcome.rows as R[], rowCount: outcome.rowCount }
        if (outcome.failure !== 'server') broken = true
        throw outcomeError(outcome)
      },
      release() {
        if (released) return
        released = true
        system.cast(manager, { type: broken ? 'discard' : 'checkin', pid })
      },
    }
  }

  return {
    childSpec: { id: options.name, start: tree, type: 'supervisor' },
    checkout: (o) => checkout(o?.timeoutMs, o?.holder),
    async query<R>(sql: string, params: unknown[] = [], queryOptions: QueryOptions = {}): Promise<QueryResult<R>> {
      for (let attempt = 1; ; attempt++) {
        const lease = await checkout(queryOptions.checkoutTimeoutMs)
        try {
          return await lease.query<R>(sql, params, queryOptions.timeoutMs === undefined ? {} : { timeoutMs: queryOptions.timeoutMs })
        } catch (err) {
          const lost = err instanceof PoolError && err.code === 'COHORT_ERR_POOL_CONNECTION_LOST'
          if (attempt === 1 && lost && queryOptions.idempotent === true) {
            status.retries++
            continue
          }
          throw err
        } finally {
          lease.release()
        }
      }
    },
    isReady: () => status.alive > 0,
    stats: () => status.stats(),
    async describe() {
      try {
        return await system.call<PoolSnapshot>(manager, { type: 'describe' })
      } catch (err) {
        throw unavailable(err)
      }
    },
    on: (event, listener) => status.on(event, listener),
    off: (event, listener) => status.off(event, listener),
    onWait: (observe) => status.onWait(observe),
  }
}
