/**
 * The supervised pool example against a real PostgreSQL (a throwaway server per file): backends terminated from the
 * server side, a server error, a statement hanging past the query timeout, the server stopped and started again. Each
 * test waits on the pool's events or on the server's own tables, and checks pg_stat_activity for leaked backends.
 */
import { createActorSystem } from '@cohort/core'
import type { ActorSystem, Pid, ProcessCtx } from '@cohort/core'
import { createPool, isPoolError } from '@cohort/example-pg-pool'
import type { Pool, PoolEvents, PoolOptions } from '@cohort/example-pg-pool'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { startPostgres } from '../support/postgres.ts'
import type { PostgresServer } from '../support/postgres.ts'

let pg: PostgresServer
let database: string
let system: ActorSystem | undefined

beforeAll(async () => {
  pg = await startPostgres()
  database = await pg.createDatabase('pool_example')
})
afterAll(async () => {
  await pg?.dispose()
})
afterEach(async () => {
  await system?.shutdown()
  system = undefined
  // Whatever a test did, stopping the pool leaves no backend behind.
  await waitUntil(async () => (await backends()).length === 0, 'every backend of the pool to end after shutdown')
})

/** The pool's backends as the server sees them. */
async function backends(): Promise<number[]> {
  const { rows } = await pg.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 ORDER BY pid', [database])
  return rows.map((r) => r.pid)
}

/** Re-checks a condition on the server until it holds; each check is a round trip, so this never spins idle. */
async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
  }
}

/** Resolves with the first `event` that `match` accepts; set it up before causing the event. */
function next<E extends keyof PoolEvents>(
  pool: Pool,
  event: E,
  match: (arg: Parameters<PoolEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<PoolEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pool.off(event, listener)
      reject(new Error(`no ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = ((arg: Parameters<PoolEvents[E]>[0]) => {
      if (!match(arg)) return
      clearTimeout(timer)
      pool.off(event, listener)
      resolve(arg)
    }) as PoolEvents[E]
    pool.on(event, listener)
  })
}

async function startPool(options: Partial<PoolOptions> = {}): Promise<{ pool: Pool; size: number; tree: Pid }> {
  system = createActorSystem({ node: 'pool-test@127.0.0.1' })
  const events: string[] = []
  const size = options.size ?? 3
  const pool = createPool(system, { connection: pg.connection(database), size, serverCheckIntervalMs: 100, ...options })
  pool.on('connectionUp', (e) => events.push(`up ${e.backendPid} alive=${e.alive}`))
  pool.on('connectionDown', (e) => events.push(`down ${e.backendPid} alive=${e.alive} ${e.reason}`))
  pool.on('gaveUp', (e) => events.push(`gaveUp ${e.reason} attempt=${e.attempt} retryIn=${e.retryInMs}`))
  onTestFailed(() => console.error(`pool events:\n${events.join('\n')}\nserver log:\n${pg.log.slice(-30).join('\n')}`))
  const full = next(pool, 'connectionUp', (e) => e.alive === size)
  const tree = await system.start(pool.childSpec.start)
  await full
  return { pool, size, tree }
}

async function terminate(backendPid: number): Promise<void> {
  const { rows } = await pg.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [backendPid])
  expect(rows[0]?.ok).toBe(true)
}

describe('the supervised pg pool', () => {
  it('replaces a connection whose backend is terminated while the other connections keep serving', async () => {
    const { pool } = await startPool({ size: 3 })
    const [a, b, c] = [await pool.checkout(), await pool.checkout(), await pool.checkout()]
    expect(new Set(await backends())).toEqual(new Set([a.backendPid, b.backendPid, c.backendPid]))
    const names = await pg.query<{ name: string }>('SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE datname = $1', [database])
    expect(names.rows).toEqual([{ name: 'pg-pool' }])
    const down = next(pool, 'connectionDown', (e) => e.backendPid === a.backendPid)
    const replaced = next(pool, 'connectionUp', (e) => e.alive === 3)
    await terminate(a.backendPid)
    expect(await down).toMatchObject({ alive: 2 })
    expect(pool.isReady()).toBe(true)
    // Meanwhile the others answer.
    expect((await b.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }])
    expect((await c.query<{ n: number }>('SELECT 2 AS n')).rows).toEqual([{ n: 2 }])
    await expect(a.query('SELECT 3')).rejects.toMatchObject({ code: 'COHORT_ERR_POOL_CONNECTION_LOST' })
    for (const lease of [a, b, c]) lease.release()
    const fresh = await replaced
    expect(fresh.backendPid).not.toBe(a.backendPid)
    expect(pool.stats()).toMatchObject({ alive: 3, restarts: 1 })
    // No leak: exactly the three live connections, the terminated one gone.
    expect(new Set(await backends())).toEqual(new Set([b.backendPid, c.backendPid, fresh.backendPid]))
    expect((await pool.describe()).backendPids.sort()).toEqual((await backends()).sort())
  })

  it('retries an idempotent statement once on another connection when its connection dies under it', async () => {
    const { pool } = await startPool({ size: 2 })
    const killRunning = async (marker: string): Promise<void> => {
      let pid: number | undefined
      await waitUntil(async () => {
        const { rows } = await pg.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE $2",
          [database, `%${marker}%`],
        )
        pid = rows[0]?.pid
        return pid !== undefined
      }, `the statement ${marker} to run`)
      await terminate(pid!)
    }
    // Each replacement is awaited through a listener set up before the kill: on a fast machine the pool
    // reconnects before a listener added afterwards would see it.
    const firstReplaced = next(pool, 'connectionUp', (e) => e.alive === 2)
    const idempotent = pool.query<{ answer: number }>("SELECT 42 AS answer, 'retry-me' AS marker, pg_sleep(0.5)", [], { idempotent: true })
    await killRunning('retry-me')
    expect((await idempotent).rows[0]?.answer).toBe(42)
    expect(pool.stats().retries).toBe(1)
    await firstReplaced

    const secondReplaced = next(pool, 'connectionUp', (e) => e.alive === 2)
    const once = pool.query("SELECT 'do-not-retry' AS marker, pg_sleep(0.5)")
    const settled = once.catch((err: unknown) => err)
    await killRunning('do-not-retry')
    const err = await settled
    expect(isPoolError(err, 'COHORT_ERR_POOL_CONNECTION_LOST')).toBe(true)
    expect((err as Error).message).toMatch(/connection lost during the statement: terminating connection due to administrator command/)
    expect(pool.stats().retries).toBe(1)
    await secondReplaced
  })

  it('reports a server error with its SQLSTATE and keeps the connection', async () => {
    const { pool } = await startPool({ size: 1 })
    const before = await backends()
    const err: unknown = await pool.query('SELECT 1 / 0').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COHORT_ERR_POOL_SERVER_ERROR', sqlState: '22012' })
    expect((err as Error).message).toBe('server error: division by zero')
    expect((await pool.query<{ n: number }>('SELECT 7 AS n')).rows).toEqual([{ n: 7 }])
    expect(await backends()).toEqual(before)
    expect(pool.stats()).toMatchObject({ alive: 1, restarts: 0 })
  })

  it('cuts off a statement that hangs past the query timeout, replaces its connection and leaves no backend behind', async () => {
    const { pool } = await startPool({ size: 2, queryTimeoutMs: 300 })
    const lease = await pool.checkout()
    const hung = lease.backendPid
    const down = next(pool, 'connectionDown', (e) => e.backendPid === hung)
    const replaced = next(pool, 'connectionUp', (e) => e.alive === 2)
    const err: unknown = await lease.query('SELECT pg_sleep(30)').catch((e: unknown) => e)
    lease.release()
    expect(err).toMatchObject({ code: 'COHORT_ERR_POOL_QUERY_TIMEOUT', message: 'statement timed out: no answer within 300 ms' })
    expect((await down).reason).toContain('queryTimeout')
    await replaced
    // The server notices the abandoned statement's client is gone and ends that backend too.
    await waitUntil(async () => !(await backends()).includes(hung), `backend ${hung} to end on the server`)
    expect((await backends()).length).toBe(2)
    expect((await pool.query<{ n: number }>('SELECT 1 AS n', [], { idempotent: true, timeoutMs: 5_000 })).rows).toEqual([{ n: 1 }])
  })

  it('bounds the wait queue, times out a checkout, and hands a released connection to the next waiter', async () => {
    const { pool } = await startPool({ size: 1, maxWaiting: 1, checkoutTimeoutMs: 200 })
    const lease = await pool.checkout()
    const waiting = pool.checkout().catch((e: unknown) => e)
    const refused: unknown = await pool.checkout().catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'COHORT_ERR_POOL_QUEUE_FULL' })
    expect(await waiting).toMatchObject({ code: 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT' })
    expect((await waiting as Error).message).toMatch(/^no connection became free within \d+ ms \(1 of 1 connections alive\)$/)
    // A timeout no timer can wait is the caller's error, not the manager's: it keeps serving.
    for (const timeoutMs of [-1, NaN, 0.5, 2 ** 31]) {
      await expect(pool.checkout({ timeoutMs })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION', option: 'timeoutMs' })
    }
    await expect(lease.query('SELECT 1', [], { timeoutMs: -1 })).rejects.toMatchObject({ code: 'COHORT_ERR_INVALID_OPTION' })
    const handedOver = pool.checkout({ timeoutMs: 5_000 })
    lease.release()
    lease.release() // a second release does nothing
    const second = await handedOver
    expect(second.backendPid).toBe(lease.backendPid)
    second.release()
    expect(pool.stats().queueWaitP99Ms).toBeGreaterThanOrEqual(190)
    await expect(lease.query('SELECT 1')).rejects.toThrow('this lease was released')
  })

  it('takes a connection back from a holder actor that ends without releasing it', async () => {
    const { pool } = await startPool({ size: 1, checkoutTimeoutMs: 2_000 })
    const held = new Promise<number>((resolve, reject) => {
      system!.spawn(async (ctx: ProcessCtx) => {
        const lease = await pool.checkout({ holder: ctx.self }).catch((err: unknown) => (reject(err), undefined))
        if (lease === undefined) return
        resolve(lease.backendPid)
        throw new Error('the holder crashed before it released its lease')
      })
    })
    const backendPid = await held
    // The only connection comes back, the same one, without anyone releasing it.
    const lease = await pool.checkout()
    expect(lease.backendPid).toBe(backendPid)
    expect((await lease.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }])
    lease.release()
  })

  it('stays ready while one connection lives, backs off while the server is gone, and recovers when it returns', async () => {
    const { pool } = await startPool({ size: 2, backoffInitialMs: 50, backoffMaxMs: 200, checkoutTimeoutMs: 200 })
    const [first] = await backends()
    const oneDown = next(pool, 'connectionDown', (e) => e.backendPid === first)
    const replaced = next(pool, 'connectionUp', (e) => e.alive === 2)
    await terminate(first!)
    expect(await oneDown).toMatchObject({ alive: 1 })
    expect(pool.isReady()).toBe(true)
    await replaced

    const allDown = next(pool, 'connectionDown', (e) => e.alive === 0)
    const gaveUp = next(pool, 'gaveUp')
    const thirdTry = next(pool, 'gaveUp', (e) => e.attempt >= 3)
    await pg.stop()
    await allDown
    expect(pool.isReady()).toBe(false)
    const giveUp = await gaveUp
    expect(giveUp.retryInMs).toBeGreaterThan(0)
    expect(giveUp.retryInMs).toBeLessThanOrEqual(200)
    // The pool keeps trying, and the node's tree is untouched.
    await thirdTry
    expect(pool.isReady()).toBe(false)
    expect(await pool.query('SELECT 1').catch((e: unknown) => e)).toMatchObject({ code: 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT' })

    const back = next(pool, 'connectionUp', (e) => e.alive === 2)
    await pg.start()
    await back
    expect(pool.isReady()).toBe(true)
    expect((await pool.query<{ n: number }>('SELECT 5 AS n')).rows).toEqual([{ n: 5 }])
    expect((await backends()).length).toBe(2)
  })

  it("escalates when so configured: the pool's supervisor exits and its parent decides", async () => {
    const { pool, tree } = await startPool({ size: 2, onGiveUp: 'escalate' })
    const gaveUp = next(pool, 'gaveUp')
    const ended = new Promise<unknown>((resolve) => system!.monitor(tree, (down) => resolve(down.reason)))
    await pg.stop()
    try {
      expect((await gaveUp).retryInMs).toBeUndefined()
      expect(await ended).toBe('shutdown')
      expect(system!.whereis('pg-pool.manager')).toBeUndefined()
      expect(pool.isReady()).toBe(false)
      expect(await pool.query('SELECT 1').catch((e: unknown) => e)).toMatchObject({ code: 'COHORT_ERR_POOL_UNAVAILABLE' })
    } finally {
      await pg.start()
    }
  })
})
