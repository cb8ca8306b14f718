/**
 * The probes as a request handler, for an app that serves them on its own HTTP server (one port for the page, the
 * API and the probes): `probeRequestHandler(options)` answers `/livez`, `/readyz`, `/metrics` (and the observer's
 * routes when asked to) and leaves every other request to the app. startProbeServer is this handler on a server of
 * its own. Liveness, readiness and metrics mean the same on either.
 *
 * Gotchas: liveness never depends on peers — a liveness probe tied to the cluster restarts healthy pods in cascade.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { InvalidOptionError } from '@cohort/core'
import { silentLogger } from './internal/silent-logger.ts'
import { createMetricsRegistry } from './metrics.ts'
import { NOT_JOINED_REASON } from './not-ready-reasons.ts'
import type { MetricsSources } from './metrics.ts'
import { observerRequestHandler } from './observer/observer-http.ts'
import type { ObserverHttpOptions } from './observer/observer-http.ts'

/** Options of probeRequestHandler (and the probe part of startProbeServer's). */
export interface ProbeHandlerOptions {
  /** Liveness: the root supervisor is alive. @default () => true */
  isAlive?: () => boolean
  /** Readiness part: the node is listening. @default () => true */
  isListening?: () => boolean
  /**
   * Readiness part: joined, and the strategy succeeded once, and not cut off from every peer by a refused handshake
   * (the handle joinCluster returns). `notReadyReason` is what /readyz says when `ready` is false. @default always joined
   */
  cluster?: { readonly ready: boolean; readonly notReadyReason?: string | undefined }
  /**
   * Readiness parts of the app's own, by name: a database pool that has no live connection, say. Each failing one
   * shows in the 503 body as `<name> not ready`. @default none
   */
  readinessChecks?: Readonly<Record<string, () => boolean>>
  /** What /metrics reports. @default no Cohort metrics, prom-client's process metrics only */
  metrics?: MetricsSources
  /**
   * Also serve the cluster observer: the page at `/observer` and the report at `/observer/cluster.json` (the node's
   * `cohort_observer` must run, see observerChild). @default not served
   */
  observer?: ObserverHttpOptions
  /** @default a silent logger */
  logger?: Logger
}

/** The probes, to plug into an HTTP server. */
export interface ProbeHandler {
  /**
   * Answers `req` when it is a probe route (`/livez`, `/readyz`, `/metrics`, and the observer's when served) and
   * resolves true; resolves false, having written nothing, for any other path.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  /** The Prometheus registry behind /metrics, to add the app's own metrics. */
  readonly registry: Registry
  /** From now on /readyz answers 503 "shutting down". */
  setNotReady(): void
}

/** The paths a ProbeHandler answers (besides the observer's). */
export const PROBE_PATHS: readonly string[] = Object.freeze(['/livez', '/readyz', '/metrics'])

/**
 * Creates the probes' request handler.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a readiness check that is not a function
 * @example
 * const probes = probeRequestHandler({ cluster, isAlive: () => system.isAlive(root) })
 * createServer(async (req, res) => { if (!(await probes.handle(req, res))) app(req, res) })
 */
export function probeRequestHandler(options: ProbeHandlerOptions = {}): ProbeHandler {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', options, 'an object')
  const logger = options.logger ?? silentLogger()
  const isAlive = options.isAlive ?? (() => true)
  const isListening = options.isListening ?? (() => true)
  const readinessChecks = Object.entries(options.readinessChecks ?? {})
  for (const [name, isReady] of readinessChecks) {
    if (typeof isReady !== 'function') throw new InvalidOptionError(`readinessChecks.${name}`, isReady, 'a function returning a boolean')
  }
  const registry = createMetricsRegistry(options.metrics ?? {}, logger)
  let shuttingDown = false
  const observe = options.observer === undefined ? undefined : observerRequestHandler(options.observer)

  const check = (fn: () => boolean): boolean => {
    try {
      return fn() === true
    } catch (err) {
      logger.warn({ err }, 'probe check threw; reporting failure')
      return false
    }
  }

  const readiness = (): string[] => {
    const failing: string[] = []
    if (shuttingDown) failing.push('shutting down')
    if (!check(isListening)) failing.push('node not listening')
    if (options.cluster !== undefined && !check(() => options.cluster?.ready === true)) {
      failing.push(options.cluster.notReadyReason ?? NOT_JOINED_REASON)
    }
    for (const [name, isReady] of readinessChecks) if (!check(isReady)) failing.push(`${name} not ready`)
    return failing
  }

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): true => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(res.req.method === 'HEAD' ? undefined : body)
    return true
  }

  return {
    registry,
    setNotReady() {
      shuttingDown = true
    },
    async handle(req, res) {
      if (observe !== undefined && (await observe(req, res))) return true
      const path = new URL(req.url ?? '/', 'http://probe').pathname
      if (!PROBE_PATHS.includes(path)) return false
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n')
      switch (path) {
        case '/livez':
          return check(isAlive) ? send(res, 200, 'ok\n') : send(res, 503, 'not alive: the root supervisor has exited\n')
        case '/readyz': {
          const failing = readiness()
          return failing.length === 0 ? send(res, 200, 'ok\n') : send(res, 503, `not ready: ${failing.join('; ')}\n`)
        }
        default:
          return send(res, 200, await registry.metrics(), registry.contentType)
      }
    },
  }
}
