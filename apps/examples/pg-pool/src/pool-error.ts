/**
 * The errors the pool's API rejects with. One class, a stable `code` per decision a caller makes: wait and retry
 * (checkout timeout, queue full, pool unavailable), retry only if the statement is idempotent (connection lost), or
 * fix the statement (server error, query timeout).
 */

/** Every code a PoolError can carry. */
export type PoolErrorCode =
  | 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT'
  | 'COHORT_ERR_POOL_QUEUE_FULL'
  | 'COHORT_ERR_POOL_UNAVAILABLE'
  | 'COHORT_ERR_POOL_CONNECTION_LOST'
  | 'COHORT_ERR_POOL_QUERY_TIMEOUT'
  | 'COHORT_ERR_POOL_SERVER_ERROR'

/** A failed checkout or statement. `sqlState` is the server's SQLSTATE when the server reported the error. */
export class PoolError extends Error {
  override name = 'PoolError'
  readonly code: PoolErrorCode
  readonly sqlState: string | undefined
  constructor(code: PoolErrorCode, message: string, options?: ErrorOptions & { sqlState?: string | undefined }) {
    super(message, options)
    this.code = code
    this.sqlState = options?.sqlState
  }
}

/** True when `value` is a PoolError (of `code`, if given). Checks the code, not `instanceof`. */
export function isPoolError(value: unknown, code?: PoolErrorCode): value is PoolError {
  if (typeof value !== 'object' || value === null) return false
  const c = (value as { code?: unknown }).code
  return typeof c === 'string' && c.startsWith('COHORT_ERR_POOL_') && (code === undefined || c === code)
}
