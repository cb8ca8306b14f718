/**
 * Errors raised by @cohort/discovery. Each class is one decision for the caller: fix RBAC
 * (KubernetesForbiddenError), wait and keep the last known peers (DiscoveryUnavailableError), or fix the deployment's
 * configuration (InvalidConfigError). The codes are this package's own, listed in its README.
 */
import { CohortError } from '@cohort/core'

/** The error codes of @cohort/discovery (core's and transport's are theirs). */
export type DiscoveryErrorCode =
  | 'COHORT_ERR_DISCOVERY_UNAVAILABLE'
  | 'COHORT_ERR_KUBERNETES_FORBIDDEN'
  | 'COHORT_ERR_INVALID_CONFIG'
  // The same string as transport's code for a taken port: to a caller, both mean "pick another port or 0".
  | 'COHORT_ERR_ADDRESS_IN_USE'
  | 'COHORT_ERR_REQUEST_TOO_LARGE'

/** A lookup failed: a DNS error, an API error, a timeout or a missing service-account file. The last known peers are kept. */
export class DiscoveryUnavailableError extends CohortError<DiscoveryErrorCode> {
  override name = 'DiscoveryUnavailableError'
  /** The strategy that failed, e.g. `dnsA` or `kubernetes`. */
  readonly strategy: string
  /** The HTTP status the Kubernetes API answered with, when there was one. */
  readonly httpStatus: number | undefined
  constructor(strategy: string, message: string, options?: ErrorOptions & { httpStatus?: number }) {
    super('COHORT_ERR_DISCOVERY_UNAVAILABLE', message, options)
    this.strategy = strategy
    this.httpStatus = options?.httpStatus
  }
}

/** The fields parsed from a Kubernetes 403 Status: who was denied what, and where. */
export interface ForbiddenRule {
  /** The denied user, e.g. `system:serviceaccount:demo:cohort`; undefined when the message could not be parsed. */
  user: string | undefined
  /** The denied verb, e.g. `list`. */
  verb: string
  /** The resource plural, e.g. `endpointslices`. */
  resource: string
  /** The API group; `''` is the core group. */
  group: string
  /** The namespace of the request; undefined at the cluster scope. */
  namespace: string | undefined
}

/**
 * The Kubernetes API answered 403: the pod's ServiceAccount lacks a Role rule. The message contains the Role rule
 * (API group, resource, verbs) and the RoleBinding to add, ready to paste.
 */
export class KubernetesForbiddenError extends CohortError<DiscoveryErrorCode> {
  override name = 'KubernetesForbiddenError'
  readonly rule: ForbiddenRule
  /** The Status object the API server sent. */
  readonly status: unknown
  constructor(message: string, rule: ForbiddenRule, status: unknown) {
    super('COHORT_ERR_KUBERNETES_FORBIDDEN', message)
    this.rule = rule
    this.status = status
  }
}

/** An environment variable or a mounted file held a value that cannot work. Thrown by `loadConfig` at start. */
export class InvalidConfigError extends CohortError<DiscoveryErrorCode> {
  override name = 'InvalidConfigError'
  /** The environment variable (or file variable) that was wrong, e.g. `COHORT_PORT`. */
  readonly variable: string
  constructor(variable: string, message: string, options?: ErrorOptions) {
    super('COHORT_ERR_INVALID_CONFIG', `invalid ${variable}: ${message}`, options)
    this.variable = variable
  }
}

/**
 * The probe server could not listen: another process (often a second node on the same machine, which would use the
 * same default probe port) already listens there.
 */
export class ProbePortInUseError extends CohortError<DiscoveryErrorCode> {
  override name = 'ProbePortInUseError'
  readonly host: string
  readonly port: number
  constructor(host: string, port: number, options?: ErrorOptions) {
    super(
      'COHORT_ERR_ADDRESS_IN_USE',
      `cannot serve the probes (/livez, /readyz, /metrics) on ${host}:${port}: another process already listens there ` +
        '(a second node on this machine uses the same default probe port); give each node its own probe port ' +
        '(--probe-port or COHORT_PROBE_PORT, or startProbeServer\'s port), or 0 to pick a free one',
      options,
    )
    this.host = host
    this.port = port
  }
}

/** An HTTP request's body is longer than the endpoint takes (`readRequestBody`): answer 413 and close the connection. */
export class RequestTooLargeError extends CohortError<DiscoveryErrorCode> {
  override name = 'RequestTooLargeError'
  /** The most bytes the endpoint takes. */
  readonly maxBytes: number
  /** The length the request declared (`content-length`), when it declared one past `maxBytes`. */
  readonly declaredBytes: number | undefined
  constructor(maxBytes: number, declaredBytes?: number) {
    super(
      'COHORT_ERR_REQUEST_TOO_LARGE',
      declaredBytes === undefined
        ? `body is larger than the limit of ${maxBytes} bytes`
        : `body of ${declaredBytes} bytes is larger than the limit of ${maxBytes} bytes`,
    )
    this.maxBytes = maxBytes
    this.declaredBytes = declaredBytes
  }
}
