/**
 * The cache service's errors. Each has a stable `code` (COHORT_ERR_*) for logs and checks, listed in the README's
 * error table; the RESP and HTTP front ends turn them into a Redis-style `-ERR` reply or an HTTP status.
 */

/** Every error code the cache service raises. */
export type CacheErrorCode =
  | 'COHORT_ERR_RESP_PROTOCOL'
  | 'COHORT_ERR_REQUEST_TOO_LARGE'
  | 'COHORT_ERR_INVALID_CONFIG'

/** Base class of the cache's errors. */
export class CacheError extends Error {
  override name = 'CacheError'
  readonly code: CacheErrorCode
  constructor(code: CacheErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/**
 * The bytes on a RESP connection are not the protocol (a bad multibulk or bulk length, a missing CRLF). Redis answers
 * these with `-ERR Protocol error: …` and closes the connection, since the stream cannot be resynchronised; so do we.
 */
export class RespProtocolError extends CacheError {
  override name = 'RespProtocolError'
  constructor(detail: string) {
    super('COHORT_ERR_RESP_PROTOCOL', `Protocol error: ${detail}`)
  }
}

/** One request (a RESP command, an HTTP body) is larger than the configured limit; only that connection is closed. */
export class RequestTooLargeError extends CacheError {
  override name = 'RequestTooLargeError'
  readonly limitBytes: number
  constructor(what: string, limitBytes: number) {
    super('COHORT_ERR_REQUEST_TOO_LARGE', `${what} is larger than the limit of ${limitBytes} bytes`)
    this.limitBytes = limitBytes
  }
}
