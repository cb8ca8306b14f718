/**
 * The example service's own HTTP API, the thing the pool is there for: `GET /now` asks the database for its clock
 * through the pool, `GET /sleep?seconds=` holds a connection in `pg_sleep` (to watch a hung statement be cut off by hand),
 * and `GET /pool` shows the pool's counters and live backends. Pool failures map to 503/504 with the error code, so
 * a client can tell "try again" from "fix the request".
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { limitConnections } from '@cohort/discovery'
import { isPoolError } from './pool-error.ts'
import type { Pool } from './pool.ts'

/** A running HTTP API. */
export interface HttpApi {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

const STATUS_BY_CODE: Record<string, number> = {
  COHORT_ERR_POOL_CHECKOUT_TIMEOUT: 503,
  COHORT_ERR_POOL_QUEUE_FULL: 503,
  COHORT_ERR_POOL_UNAVAILABLE: 503,
  COHORT_ERR_POOL_CONNECTION_LOST: 503,
  COHORT_ERR_POOL_QUERY_TIMEOUT: 504,
  COHORT_ERR_POOL_SERVER_ERROR: 500,
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function route(req: IncomingMessage, res: ServerResponse, pool: Pool): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://api')
  if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed: every endpoint is GET' })
  switch (url.pathname) {
    case '/now': {
      const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now', [], { idempotent: true })
      return json(res, 200, { now: rows[0]?.now })
    }
    case '/sleep': {
      const seconds = Number(url.searchParams.get('seconds'))
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > 60) {
        return json(res, 400, { error: `invalid seconds: ${JSON.stringify(url.searchParams.get('seconds'))} (expected a number in 0..60)` })
      }
      await pool.query('SELECT pg_sleep($1)', [seconds])
      return json(res, 200, { slept: seconds })
    }
    case '/pool':
      return json(res, 200, { ...pool.stats(), ready: pool.isReady(), ...(await pool.describe()) })
    default:
      return json(res, 404, { error: 'not found: try /now, /sleep?seconds=1 or /pool' })
  }
}

/** Starts the API on `host:port` (0 picks a free port). */
export async function startHttpApi(options: { host: string; port: number; pool: Pool; logger: Logger }): Promise<HttpApi> {
  const { pool, logger } = options
  const server: Server = createServer((req, res) => {
    route(req, res, pool).catch((err: unknown) => {
      if (isPoolError(err)) return json(res, STATUS_BY_CODE[err.code] ?? 500, { error: err.message, code: err.code, sqlState: err.sqlState })
      logger.error({ err }, 'request failed')
      return json(res, 500, { error: 'internal error' })
    })
  })
  // A flood of idle connections then costs a known number of descriptors, not all of them.
  limitConnections(server, { logger, name: 'pool http' })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    port,
    url: `http://${options.host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}
