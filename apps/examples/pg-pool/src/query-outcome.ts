/**
 * What a statement on one connection came to, as plain data a connection actor can reply with: rows, or a failure of
 * one of three kinds. The kind decides what happens to the connection: a server error leaves it usable, a lost
 * connection or a timeout ends its actor so that the supervisor replaces it.
 */
import { PoolError } from './pool-error.ts'
import type { PoolErrorCode } from './pool-error.ts'

/** Why a statement failed. */
export type FailureKind = 'server' | 'connectionLost' | 'timeout'

/** A statement's result or failure. */
export type QueryOutcome =
  | { ok: true; rows: Record<string, unknown>[]; rowCount: number | null }
  | { ok: false; failure: FailureKind; message: string; sqlState?: string }

/**
 * Sorts a `pg` error into a failure kind. Errors the server reported carry a SQLSTATE and a severity: FATAL and PANIC
 * end the session (pg_terminate_backend is 57P01 FATAL), and class 08 is a connection exception; any other server
 * error leaves the session usable. Errors with no severity come from the socket or the driver (the connection ended
 * under the query), so the connection is lost.
 */
export function classifyQueryError(err: unknown): Extract<QueryOutcome, { ok: false }> {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; code?: unknown; severity?: unknown }
  const message = typeof e.message === 'string' ? e.message : String(err)
  if (typeof e.severity === 'string' && typeof e.code === 'string') {
    const lost = e.severity === 'FATAL' || e.severity === 'PANIC' || e.code.startsWith('08')
    return { ok: false, failure: lost ? 'connectionLost' : 'server', message, sqlState: e.code }
  }
  return { ok: false, failure: 'connectionLost', message }
}

const CODES: Record<FailureKind, PoolErrorCode> = {
  server: 'COHORT_ERR_POOL_SERVER_ERROR',
  connectionLost: 'COHORT_ERR_POOL_CONNECTION_LOST',
  timeout: 'COHORT_ERR_POOL_QUERY_TIMEOUT',
}

/** The PoolError a failed outcome rejects with. */
export function outcomeError(outcome: Extract<QueryOutcome, { ok: false }>): PoolError {
  const prefix = { server: 'server error', connectionLost: 'connection lost during the statement', timeout: 'statement timed out' }[outcome.failure]
  return new PoolError(CODES[outcome.failure], `${prefix}: ${outcome.message}`, { sqlState: outcome.sqlState })
}
