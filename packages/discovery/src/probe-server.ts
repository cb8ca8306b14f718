/**
 * The HTTP endpoint for Kubernetes probes and Prometheus on a port of its own: `/livez` (the root supervisor is
 * alive), `/readyz` (listening, joined, discovery succeeded at least once, the app's own readiness checks pass, and
 * not shutting down), `/metrics` (Prometheus text). It is probe-handler.ts's handler on its own server; an app with
 * an HTTP server of its own plugs that handler in instead. Started by the composition root next to the node;
 * graceful shutdown turns /readyz false through `setNotReady`.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { InvalidOptionError } from '@cohort/core'
import { limitConnections } from './connection-limit.ts'
import { silentLogger } from './internal/silent-logger.ts'
import { ProbePortInUseError } from './errors.ts'
import { probeRequestHandler } from './probe-handler.ts'
import type { ProbeHandlerOptions } from './probe-handler.ts'

/** Options of startProbeServer: where to listen, and what the probes report (probe-handler.ts). */
export interface ProbeServerOptions extends ProbeHandlerOptions {
  /** Port to listen on; 0 picks a free one. @default 8081 */
  port?: number
  /** @default '0.0.0.0' — the kubelet probes the pod IP */
  host?: string
  /** Connections held open at once; past it a new one is closed on arrival (limitConnections). @default 1000 */
  maxConnections?: number
}

/** The defaults of ProbeServerOptions. */
export const DEFAULT_PROBE_SERVER_OPTIONS: Readonly<{ port: number; host: string; maxConnections: number }> = Object.freeze({
  port: 8081,
  host: '0.0.0.0',
  /** The kubelet and a scraper need a handful; the cap only stops a flood from taking every descriptor. */
  maxConnections: 1_000,
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
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad port, host or maxConnections
 * @example const probes = await startProbeServer({ port: 8081, isAlive: () => root.isAlive(), cluster })
 */
export async function startProbeServer(options: ProbeServerOptions = {}): Promise<ProbeServer> {
  const port = options.port ?? DEFAULT_PROBE_SERVER_OPTIONS.port
  const host = options.host ?? DEFAULT_PROBE_SERVER_OPTIONS.host
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError('port', port, 'an integer in 0..65535')
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', host, 'an address to bind, e.g. "0.0.0.0"')
  const logger = options.logger ?? silentLogger()
  const probes = probeRequestHandler(options)
  const { registry } = probes
  const send = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }
  const notFound = `not found: try /livez, /readyz${options.observer === undefined ? ' or /metrics' : ', /metrics or /observer'}\n`
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await probes.handle(req, res)) return
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n')
    send(res, 404, notFound)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'probe request failed')
      if (!res.headersSent) send(res, 500, 'internal error\n')
      else res.destroy()
    })
  })
  limitConnections(server, { maxConnections: options.maxConnections ?? DEFAULT_PROBE_SERVER_OPTIONS.maxConnections, logger, name: 'probe http' })
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
      probes.setNotReady()
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
