/**
 * One connection actor: owns one `pg` client, runs one statement at a time, and ends itself as soon as its connection
 * is no good (the server ended the session, the socket closed, a statement hung past the query timeout), so that its
 * supervisor replaces it with a fresh one. Connecting happens after `init`, so a pool starts even while the database
 * is away; each failed attempt is an exit, and the supervisor's intensity counts it.
 * Gotchas: the actor traps exits so that a pool shutdown runs `terminate` and closes the client; a connection that is
 * left open would hold a server backend.
 */
import type { Ctx, ServerBehaviour } from '@cohort/core'
import pg from 'pg'
import type { ResolvedPoolOptions } from './pool-options.ts'
import type { PoolStatus } from './pool-status.ts'
import { classifyQueryError } from './query-outcome.ts'
import type { QueryOutcome } from './query-outcome.ts'

/** A statement for a connection actor (the `call` request). */
export interface QueryRequest {
  type: 'query'
  sql: string
  params: unknown[]
  timeoutMs: number
}

interface ConnectionState {
  client: pg.Client | undefined
  backendPid: number
}

const CONNECT = 'connect'
// How long terminate waits for a client to close before leaving it to the socket's own end.
const CLOSE_TIMEOUT_MS = 1_000

/** The manager's registered name for a pool called `name`. */
export function managerName(name: string): string {
  return `${name}.manager`
}

function clientConfig(options: ResolvedPoolOptions): pg.ClientConfig {
  const config: pg.ClientConfig = {
    application_name: options.name,
    ...options.connection,
    connectionTimeoutMillis: options.connectTimeoutMs,
  }
  if (options.serverCheckIntervalMs > 0) {
    const check = `-c client_connection_check_interval=${options.serverCheckIntervalMs}`
    config.options = options.connection.options === undefined ? check : `${options.connection.options} ${check}`
  }
  return config
}

async function closeClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
  ])
  clearTimeout(timer)
}

const TIMED_OUT = Symbol('timedOut')

async function runStatement(client: pg.Client, request: QueryRequest): Promise<QueryOutcome | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), request.timeoutMs)))
  const statement = client.query(request.sql, request.params).then(
    (result): QueryOutcome => ({ ok: true, rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount }),
    (err: unknown): QueryOutcome => classifyQueryError(err),
  )
  try {
    return await Promise.race([statement, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The connection actor's behaviour for one pool; `status` is the pool's shared status. */
export function connectionBehaviour(options: ResolvedPoolOptions, status: PoolStatus): ServerBehaviour<ConnectionState, void> {
  const manager = managerName(options.name)
  return {
    name: `${options.name}.connection`,
    init(_args, ctx) {
      ctx.trapExit(true)
      status.started++
      ctx.send(ctx.self, CONNECT)
      return { client: undefined, backendPid: 0 }
    },

    async handleInfo(msg: unknown, state: ConnectionState, ctx: Ctx) {
      if (msg === CONNECT) {
        const client = new pg.Client(clientConfig(options))
        // Registered before connect: an 'error' event with no listener would take the whole node down.
        client.on('error', (err) => ctx.send(ctx.self, { type: 'lost', message: err.message }))
        client.on('end', () => ctx.send(ctx.self, { type: 'lost', message: 'the connection ended' }))
        try {
          await client.connect()
          const result = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
          const backendPid = result.rows[0]?.pid ?? 0
          ctx.cast(manager, { type: 'up', pid: ctx.self, backendPid })
          return { client, backendPid }
        } catch (err) {
          await closeClient(client)
          return { stop: { connectFailed: err instanceof Error ? err.message : String(err) }, state }
        }
      }
      if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'lost') {
        ctx.log.warn({ reason: (msg as { message: string }).message }, 'database connection lost')
        return { stop: { connectionLost: (msg as { message: string }).message }, state }
      }
      return state
    },

    async handleCall(request: QueryRequest, _from, state: ConnectionState) {
      if (state.client === undefined) {
        return { reply: { ok: false, failure: 'connectionLost', message: 'not connected yet' } satisfies QueryOutcome, state }
      }
      const outcome = await runStatement(state.client, request)
      if (outcome === TIMED_OUT) {
        const message = `no answer within ${request.timeoutMs} ms`
        return { reply: { ok: false, failure: 'timeout', message } satisfies QueryOutcome, stop: { queryTimeout: request.timeoutMs }, state }
      }
      if (!outcome.ok && outcome.failure === 'connectionLost') return { reply: outcome, stop: { connectionLost: outcome.message }, state }
      return { reply: outcome, state }
    },

    async terminate(_reason, state) {
      if (state.client !== undefined) await closeClient(state.client)
    },

    formatStatus: (state) => ({ backendPid: state.backendPid, connected: state.client !== undefined }),
  }
}
