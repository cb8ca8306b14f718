/**
 * The observer over HTTP: `GET /observer` serves the observer page and `GET /observer/cluster.json` the cluster
 * report of the node serving it (from its `cohort_observer`). An app mounts the handler in its own HTTP server, or
 * passes `observer` to startProbeServer; either way the page is on every node and each shows the whole cluster.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ActorSystem } from '@cohort/core'
import { OBSERVER_NAME } from './cluster-observer.ts'
import type { ClusterReport } from './observer-report.ts'
import { OBSERVER_PAGE } from './observer-page.ts'

/** Options of observerRequestHandler. */
export interface ObserverHttpOptions {
  /** The node's actor system; its `cohort_observer` must be running (see observerChild). */
  system: ActorSystem
  /** Path of the page; the report is at `<path>/cluster.json`. @default '/observer' */
  path?: string
  /** How long the node's observer has to collect the cluster report. @default 5000 */
  timeoutMs?: number
}

/** The defaults of ObserverHttpOptions. */
export const DEFAULT_OBSERVER_HTTP_OPTIONS: Readonly<{ path: string; timeoutMs: number }> = Object.freeze({
  path: '/observer',
  timeoutMs: 5000,
})

/**
 * Answers the observer's requests; resolves true when it answered, false when the request is not for it (so the
 * app's own routes take it).
 * @example
 * const observe = observerRequestHandler({ system: node.system })
 * http.createServer(async (req, res) => { if (!(await observe(req, res))) appRoutes(req, res) })
 */
export function observerRequestHandler(options: ObserverHttpOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const path = (options.path ?? DEFAULT_OBSERVER_HTTP_OPTIONS.path).replace(/\/$/, '')
  const timeoutMs = options.timeoutMs ?? DEFAULT_OBSERVER_HTTP_OPTIONS.timeoutMs
  const { system } = options
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://observer')
    if (url.pathname !== path && url.pathname !== `${path}/` && url.pathname !== `${path}/cluster.json`) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed: the observer answers GET\n')
      return true
    }
    if (!url.pathname.endsWith('/cluster.json')) {
      send(res, 200, 'text/html; charset=utf-8', OBSERVER_PAGE)
      return true
    }
    try {
      const report = await system.call<ClusterReport>({ name: OBSERVER_NAME, node: system.node }, 'cluster', timeoutMs)
      send(res, 200, 'application/json', JSON.stringify(report))
    } catch (error) {
      // The node itself is fine; only its observer is missing or slow. Say which, so the page can show it.
      send(res, 503, 'text/plain; charset=utf-8', `the observer of ${system.node} did not answer: ${error instanceof Error ? error.message : String(error)}\n`)
    }
    return true
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
