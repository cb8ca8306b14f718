/**
 * Errors raised by Cohort's APIs. Every error has a stable `code` (the contract: never renamed), and there is one
 * class per decision a caller would make. Exit reasons are values, not errors; these are for failed API calls.
 */

/**
 * The error codes of @cohort/core. Each package owns its codes (transport's and discovery's are in their own
 * errors.ts); all share the `COHORT_ERR_` prefix, so `isCohortError` recognises any of them.
 */
export type CohortErrorCode =
  | 'COHORT_ERR_INVALID_OPTION'
  | 'COHORT_ERR_CALL_TIMEOUT'
  | 'COHORT_ERR_NOPROC'
  | 'COHORT_ERR_NOCONNECTION'
  | 'COHORT_ERR_CALLEE_EXITED'
  | 'COHORT_ERR_NAME_TAKEN'
  | 'COHORT_ERR_NOT_SERIALIZABLE'
  | 'COHORT_ERR_MALFORMED_MESSAGE'
  | 'COHORT_ERR_UNKNOWN_BEHAVIOUR'
  | 'COHORT_ERR_START_FAILED'
  | 'COHORT_ERR_SYSTEM_STOPPED'
  | 'COHORT_ERR_NOT_LOCAL'
  | 'COHORT_ERR_NOT_TRACKED'
  | 'COHORT_ERR_GROUPS_NOT_SYNCED'
  | 'COHORT_ERR_MAP_NOT_SYNCED'
  | 'COHORT_ERR_PRESENCE_NOT_SYNCED'
  | 'COHORT_ERR_CALLING_SELF'

/**
 * The base of every error Cohort throws or rejects with. `Code` is the owning package's code union: core's by
 * default; transport and discovery extend it with theirs (`CohortError<TransportErrorCode>`).
 */
export class CohortError<Code extends `COHORT_ERR_${string}` = CohortErrorCode> extends Error {
  override name = 'CohortError'
  readonly code: Code
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/**
 * True when `value` is a Cohort error of any package (of `code`, if given). Checks the code, not `instanceof`, so it
 * works across package copies.
 */
export function isCohortError<Code extends `COHORT_ERR_${string}` = `COHORT_ERR_${string}`>(value: unknown, code?: Code): value is CohortError<Code> {
  if (typeof value !== 'object' || value === null) return false
  const c = (value as { code?: unknown }).code
  return typeof c === 'string' && c.startsWith('COHORT_ERR_') && (code === undefined || c === code)
}

/** An option had a value that cannot work. Thrown synchronously at construction. */
export class InvalidOptionError extends CohortError {
  override name = 'InvalidOptionError'
  readonly option: string
  readonly value: unknown
  constructor(option: string, value: unknown, expected: string) {
    super('COHORT_ERR_INVALID_OPTION', `invalid option ${option}: ${describeValue(value)} (expected ${expected})`)
    this.option = option
    this.value = value
  }
}

/** No reply arrived within the timeout. The callee may still be working; a late reply is dropped. */
export class CallTimeoutError extends CohortError {
  override name = 'CallTimeoutError'
  readonly to: string
  readonly timeoutMs: number
  constructor(to: string, timeoutMs: number) {
    super('COHORT_ERR_CALL_TIMEOUT', `call to ${to} timed out after ${timeoutMs} ms`)
    this.to = to
    this.timeoutMs = timeoutMs
  }
}

/** The target of a call (or of a remote spawn) did not exist. */
export class NoProcError extends CohortError {
  override name = 'NoProcError'
  readonly to: string
  constructor(to: string) {
    super('COHORT_ERR_NOPROC', `no process ${to}`)
    this.to = to
  }
}

/**
 * An actor called itself (its pid, its registered name or a global name it holds). It handles one message at a time,
 * so the call could only be answered after it gave up waiting: rejected at once instead, as Erlang's
 * `gen_server:call(self(), …)` exits with `calling_self`.
 */
export class CallingSelfError extends CohortError {
  override name = 'CallingSelfError'
  readonly to: string
  constructor(to: string) {
    super('COHORT_ERR_CALLING_SELF', `${to} called itself: it could only answer after giving up waiting; handle the request directly, or send it to itself`)
    this.to = to
  }
}

/** The connection to the target's node was lost, or the node could not be reached. */
export class NoConnectionError extends CohortError {
  override name = 'NoConnectionError'
  readonly to: string
  readonly node: string
  constructor(to: string, node: string) {
    super('COHORT_ERR_NOCONNECTION', `no connection to node ${node} (calling ${to})`)
    this.to = to
    this.node = node
  }
}

/** The target of a call exited before replying; `reason` is its exit reason. */
export class CalleeExitedError extends CohortError {
  override name = 'CalleeExitedError'
  readonly to: string
  readonly reason: unknown
  constructor(to: string, reason: unknown) {
    super('COHORT_ERR_CALLEE_EXITED', `${to} exited during the call: ${describeValue(reason)}`, { cause: reason })
    this.to = to
    this.reason = reason
  }
}

/** A process could not be started: its `init` failed or asked to stop; `reason` says why. */
export class StartFailedError extends CohortError {
  override name = 'StartFailedError'
  readonly reason: unknown
  constructor(what: string, reason: unknown) {
    super('COHORT_ERR_START_FAILED', `${what} failed to start: ${describeValue(reason)}`, { cause: reason })
    this.reason = reason
  }
}

/** The most characters `describeValue` gives: an error message names a value, it does not carry it. */
const DESCRIBED_CHARS = 200

/** A short, safe description of any value for error messages (never the whole object, nor a whole large value). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string' && value.length > DESCRIBED_CHARS) return `${JSON.stringify(value.slice(0, DESCRIBED_CHARS))}… (${value.length} characters)`
  const text = describeWhole(value)
  return text.length > DESCRIBED_CHARS ? `${text.slice(0, DESCRIBED_CHARS)}…` : text
}

function describeWhole(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`
  // Bytes by their size: a Buffer's String() is its whole content decoded, megabytes for a large value.
  if (value instanceof Uint8Array) return `<${value.constructor.name} of ${value.byteLength} bytes>`
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value)
  if (typeof value === 'object' && value !== null) {
    const text = String(value)
    if (text !== '[object Object]') return text
    try {
      return JSON.stringify(value)
    } catch {
      return '[object]'
    }
  }
  return String(value)
}
