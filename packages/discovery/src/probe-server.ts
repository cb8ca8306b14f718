/**
 * The HTTP endpoint for Kubernetes probes and Prometheus: `/livez` (the root supervisor is alive), `/readyz`
 * (listening, joined, discovery succeeded at least once, the app's own readiness checks pass, and not shutting down), `/metrics` (Prometheus text).
 * Started by the composition root next to the node; graceful shutdown turns /readyz false through `setNotReady`.
 * Gotchas: liveness never depends on peers — a liveness probe tied to the cluster restarts healthy pods in cascade.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { InvalidOptionError } from '@cohort/core'
import { silentLogger } from './internal/silent-logger.ts'
import { ProbePortInUseError } from './errors.ts'
import { createMetricsRegistry } from './metrics.ts'
import type { MetricsSources } from './metrics.ts'
import { observerRequestHandler } from './observer/observer-http.ts'
import type { ObserverHttpOptions } from './observer/observer-http.ts'

/** Options of startProbeServer. */
export interface ProbeServerOptions {
  /** Port to listen on; 0 picks a free one. @default 8081 */
  port?: number
  /** @default '0.0.0.0' — the kubelet probes the pod IP */
  host?: string
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

/** The defaults of ProbeServerOptions. */
export const DEFAULT_PROBE_SERVER_OPTIONS: Readonly<{ port: number; host: string }> = Object.freeze({
  port: 8081,
  host: '0.0.0.0',
})

/** A running probe server. */
export interface ProbeServer extends AsyncDisposable {
  /** The bound port (useful with `port: 0`). */
  readonly port: number
  /** `http://host:port`. */
  readonly url: string
  /** The Prometheus registry behind /metrics, to add the app's own metrics. */
  readonly registry: Registry
  /** From now on /readyz answers 503 "shutting down". */
  setNotReady(): void
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the probe server; resolves once it listens.
 * @throws ProbePortInUseError (COHORT_ERR_ADDRESS_IN_USE) when the probe port is taken (another node's probes, say)
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad port or host
 * @example const probes = await startProbeServer({ port: 8081, isAlive: () => root.isAlive(), cluster })
 */
export async function startProbeServer(options: ProbeServerOptions = {}): Promise<ProbeServer> {
  const port = options.port ?? DEFAULT_PROBE_SERVER_OPTIONS.port
  const host = options.host ?? DEFAULT_PROBE_SERVER_OPTIONS.host
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError('port', port, 'an integer in 0..65535')
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', host, 'an address to bind, e.g. "0.0.0.0"')
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
      failing.push(options.cluster.notReadyReason ?? 'not joined: discovery has not succeeded yet')
    }
    for (const [name, isReady] of readinessChecks) if (!check(isReady)) failing.push(`${name} not ready`)
    return failing
  }

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (observe !== undefined && (await observe(req, res))) return
    const path = new URL(req.url ?? '/', 'http://probe').pathname
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n')
    switch (path) {
      case '/livez':
        return check(isAlive) ? send(res, 200, 'ok\n') : send(res, 503, 'not alive: the root supervisor has exited\n')
      case '/readyz': {
        const failing = readiness()
        return failing.length === 0 ? send(res, 200, 'ok\n') : send(res, 503, `not ready: ${failing.join('; ')}\n`)
      }
      case '/metrics':
        return send(res, 200, await registry.metrics(), registry.contentType)
      default:
        return send(res, 404, `not found: try /livez, /readyz${observe === undefined ? ' or /metrics' : ', /metrics or /observer'}\n`)
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'probe request failed')
      if (!res.headersSent) send(res, 500, 'internal error\n')
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException): void =>
      reject(error.code === 'EADDRINUSE' ? new ProbePortInUseError(host, port, { cause: error }) : error)
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  logger.info({ port: bound }, 'probe server listening')
  let closing: Promise<void> | undefined
  const probe: ProbeServer = {
    port: bound,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    registry,
    setNotReady() {
      shuttingDown = true
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
    [Symbol.asyncDispose]() {
      return probe.close()
    },
  }
  return probe
}
