/**
 * The HTTP side of a cache node, on the node's HTTP port: the key-value API (`PUT`, `GET`, `DELETE /kv/<key>`,
 * `GET /kv?prefix=`), the probes (`/livez`, `/readyz`), Prometheus `/metrics` and `GET /cluster`; with a password set,
 * everything but the probes and the metrics wants it, as a bearer token or Basic credentials (401 without). Keys in
 * paths are percent-encoded bytes (key-codec.ts), so `%FF` is the byte 0xFF and any key RESP can write, HTTP can
 * address.
 *
 * A PUT or DELETE with `?replicas=<n>` (and `waitMs`, default 1000) answers once `n` other nodes hold the write, or
 * at `waitMs`, saying how many do in `x-replicated-to`: RESP's WAIT over HTTP.
 *
 * Bad input gets a 4xx that names what was wrong, and nothing is stored: a malformed escape or an empty key is 400,
 * a bad `ttlMs`, `replicas` or `waitMs` is 400, a body past the size limit is 413 and that connection is closed. A
 * PUT while the data set is past `CACHE_MAX_MEMORY` is 507, its body unread and its connection closed. Before the
 * node holds its peers' data (`notLoadedReason`), the key-value routes are 503, so a client that reaches the port
 * directly, not through a Service that heeds `/readyz`, does not read "absent" for keys its peers hold.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Buffer } from 'node:buffer'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { isCohortError } from '@cohort/core'
import { limitConnections, readRequestBody } from '@cohort/discovery'
import type { ConnectionLimit } from '@cohort/discovery'
import type { CacheMap } from './cache-map.ts'
import { MAX_TTL_MS } from './command-arguments.ts'
import { keyFromUrlSegment, keyToBytes, keyToText } from './key-codec.ts'
import type { MemoryLimit } from './memory-limit.ts'
import type { Password } from './password.ts'

/** Options of startHttpApi. */
export interface HttpApiOptions {
  map: CacheMap
  /** Port; 0 picks a free one. */
  port: number
  /** @default '127.0.0.1' */
  host?: string
  /** The clock the map's TTLs use. */
  now: () => number
  /** Largest value a PUT may carry. @default 16_777_216 (16 MiB), the RESP request limit */
  maxValueBytes?: number
  /** Connections held open at once; past it a new one is closed on arrival. @default 10_000 */
  maxConnections?: number
  /** Liveness: the node's root supervisor is alive. */
  isAlive: () => boolean
  /** Readiness: joined the cluster and not shutting down; the reasons it is not, or an empty list. */
  notReadyReasons: () => string[]
  /** The registry /metrics reports. */
  registry: Registry
  /** What GET /cluster reports. */
  cluster: () => unknown
  /** Answers the cluster observer's routes (`/observer`, `/observer/cluster.json`); true when it answered. */
  observe?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>
  /**
   * What every request but the probes and /metrics must present, as `Authorization: Bearer <password>` or as Basic
   * credentials with any user name (`CACHE_PASSWORD`). @default none: the API is open to whoever reaches the port
   */
  password?: Password
  /**
   * `CACHE_MAX_MEMORY`: past it, a PUT gets 507 Insufficient Storage (its body unread, the connection closed).
   * @default none: no limit
   */
  memoryLimit?: MemoryLimit
  /**
   * Why the node may not hold its peers' data yet, undefined once it does: until then `/kv` and `/kv/<key>` answer
   * 503 with `Retry-After: 1` and the reason (a PUT's body unread, its connection closed), as RESP answers `-LOADING`.
   * @default none: never loading
   */
  notLoadedReason?: () => string | undefined
  logger: Logger
}

/** The defaults of HttpApiOptions. */
export const DEFAULT_HTTP_API_OPTIONS: Readonly<{ host: string; maxValueBytes: number; maxConnections: number }> = Object.freeze({
  host: '127.0.0.1',
  maxValueBytes: 16 * 1024 * 1024,
  /** As the RESP port's maxclients: a flood of idle or half-sent connections takes a known number of descriptors. */
  maxConnections: 10_000,
})

/** A listening HTTP API. */
export interface HttpApi extends AsyncDisposable {
  readonly port: number
  readonly url: string
  /** The connection cap and how many it has refused. */
  readonly connections: ConnectionLimit
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>
}

class HttpError extends Error {
  readonly status: number
  readonly closeConnection: boolean
  readonly headers: Record<string, string | string[]>
  constructor(status: number, message: string, closeConnection = false, headers: Record<string, string | string[]> = {}) {
    super(message)
    this.status = status
    this.closeConnection = closeConnection
    this.headers = headers
  }
}

/**
 * What a 401 offers, one challenge per header line (the form every client parses): Basic first, so that a browser
 * asks for the password (any user name), then Bearer.
 */
const CHALLENGE = ['Basic realm="cohort-cache", charset="UTF-8"', 'Bearer realm="cohort-cache"']

/** Paths answered without the password: the probes and the metrics. */
const OPEN_PATHS = new Set(['/livez', '/readyz', '/metrics'])

/**
 * True when the request carries the password: `Authorization: Bearer <password>`, or Basic credentials with any user
 * name, which is what a browser sends after asking for them (the observer page) and `curl -u default:<password>`.
 */
function presentsPassword(req: IncomingMessage, password: Password): boolean {
  const header = req.headers.authorization
  if (header === undefined) return false
  if (/^bearer /i.test(header)) return password.matches(header.slice(7))
  if (!/^basic /i.test(header)) return false
  const credentials = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = credentials.indexOf(':')
  return colon >= 0 && password.matches(credentials.slice(colon + 1))
}

/** Parses `a=b&c=d` keeping values as map keys (bytes), `+` as a space as forms do. */
function queryKeys(query: string): Map<string, string> {
  const params = new Map<string, string>()
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = eq < 0 ? pair : pair.slice(0, eq)
    const value = keyFromUrlSegment((eq < 0 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '))
    if (value === undefined) throw new HttpError(400, `bad percent escape in query parameter "${name}"\n`)
    params.set(name, value)
  }
  return params
}

/** What `?replicas=<n>&waitMs=<ms>` asks of a PUT or DELETE: WAIT's two numbers. */
interface ReplicaWait {
  readonly atLeast: number
  readonly timeoutMs: number
}

/** How long a write with `replicas` waits for them when it gives no `waitMs`. */
const DEFAULT_REPLICA_WAIT_MS = 1_000
/** The longest `waitMs`: a minute, past which an HTTP client or a proxy in front has long given up. */
const MAX_REPLICA_WAIT_MS = 60_000

/** Reads `replicas` and `waitMs` (undefined when the request asks for no wait); a bad value is a 400. */
function replicaWaitOf(params: Map<string, string>): ReplicaWait | undefined {
  const replicas = params.get('replicas')
  const wait = params.get('waitMs')
  if (replicas === undefined) {
    if (wait !== undefined) throw new HttpError(400, 'waitMs goes with replicas: ask for ?replicas=<n>&waitMs=<ms>\n')
    return undefined
  }
  if (!/^[0-9]{1,4}$/.test(replicas)) throw new HttpError(400, `replicas must be a whole number of nodes from 0 to 9999, got "${keyToText(replicas)}"\n`)
  if (wait !== undefined && !/^[1-9][0-9]{0,4}$/.test(wait)) throw new HttpError(400, `waitMs must be a positive integer of milliseconds, got "${keyToText(wait)}"\n`)
  const timeoutMs = wait === undefined ? DEFAULT_REPLICA_WAIT_MS : Number(wait)
  if (timeoutMs > MAX_REPLICA_WAIT_MS) throw new HttpError(400, `waitMs must be at most ${MAX_REPLICA_WAIT_MS}, got ${wait}\n`)
  return { atLeast: Number(replicas), timeoutMs }
}

/** The body of a `PUT`, at most `limit` bytes; past it a 413, and the connection closed with the rest unread. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await readRequestBody(req, limit)
  } catch (err) {
    if (isCohortError(err, 'COHORT_ERR_REQUEST_TOO_LARGE')) throw new HttpError(413, `${err.message}\n`, true)
    throw err
  }
}

/** Starts the HTTP API; resolves once it listens. */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const host = options.host ?? DEFAULT_HTTP_API_OPTIONS.host
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_HTTP_API_OPTIONS.maxValueBytes
  const { map, logger } = options

  const send = (res: ServerResponse, status: number, body: string | Buffer = '', headers: Record<string, string | string[]> = {}): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'cache-control': 'no-store',
      'content-length': String(bytes.length),
      ...headers,
    })
    res.end(res.req.method === 'HEAD' || status === 204 ? undefined : bytes)
  }
  const json = (res: ServerResponse, value: unknown): void =>
    send(res, 200, `${JSON.stringify(value)}\n`, { 'content-type': 'application/json; charset=utf-8' })

  /** With `?replicas=`, waits as WAIT does and says how many other nodes hold the write (`x-replicated-to`). */
  const replicatedHeader = async (wait: ReplicaWait | undefined): Promise<Record<string, string>> => {
    if (wait === undefined) return {}
    const peers = wait.atLeast === 0 ? [] : await map.replicatedTo(wait).catch(() => [])
    return { 'x-replicated-to': String(peers.length) }
  }

  const kv = async (req: IncomingMessage, res: ServerResponse, rawKey: string, query: string): Promise<void> => {
    const key = keyFromUrlSegment(rawKey)
    if (key === undefined) throw new HttpError(400, 'bad percent escape in the key; write a byte as %XX\n')
    if (key === '') throw new HttpError(400, 'empty key: use /kv/<key>\n')
    switch (req.method) {
      case 'GET':
      case 'HEAD': {
        const value = map.get(key)
        if (value === undefined) return send(res, 404, 'no such key\n')
        const at = map.expiresAt(key)
        const headers: Record<string, string> = at === undefined ? {} : { 'x-ttl-ms': String(Math.max(0, at - options.now())) }
        return send(res, 200, Buffer.from(value.buffer, value.byteOffset, value.byteLength), headers)
      }
      case 'PUT': {
        const params = queryKeys(query)
        const replicaWait = replicaWaitOf(params)
        const ttlText = params.get('ttlMs')
        let ttlMs: number | undefined
        if (ttlText !== undefined) {
          if (!/^[1-9][0-9]{0,15}$/.test(ttlText)) throw new HttpError(400, `ttlMs must be a positive integer of milliseconds, got "${keyToText(ttlText)}"\n`)
          ttlMs = Number(ttlText)
          if (ttlMs > MAX_TTL_MS) throw new HttpError(400, `ttlMs must be at most ${MAX_TTL_MS} (100 years), got ${ttlText}\n`)
        }
        const limit = options.memoryLimit
        if (limit?.over(map) === true) {
          limit.refuse()
          throw new HttpError(507, `the cache is full: its data set (${map.bytes} bytes) is past CACHE_MAX_MEMORY (${limit.maxBytes} bytes); delete keys or raise the limit\n`, true)
        }
        const body = await readBody(req, maxValueBytes)
        if (ttlMs === undefined) map.set(key, body)
        else map.set(key, body, { ttlMs })
        // On the wire to every peer before the client hears of it, as the RESP server's writes are.
        map.flush()
        return send(res, 204, '', await replicatedHeader(replicaWait))
      }
      case 'DELETE': {
        const replicaWait = replicaWaitOf(queryKeys(query))
        map.delete(key)
        map.flush()
        return send(res, 204, '', await replicatedHeader(replicaWait))
      }
      default:
        throw new HttpError(405, `method ${req.method ?? ''} not allowed on /kv/<key>: use GET, PUT or DELETE\n`)
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const query = q < 0 ? '' : url.slice(q + 1)
    // The probes and the metrics stay open (the kubelet and Prometheus present no password); the rest reads or writes
    // the data or shows the cluster.
    if (options.password !== undefined && !OPEN_PATHS.has(path) && !presentsPassword(req, options.password)) {
      throw new HttpError(401, 'missing or wrong password: send Authorization: Bearer <CACHE_PASSWORD>, or Basic credentials\n', false, {
        'www-authenticate': CHALLENGE,
      })
    }
    if (options.observe !== undefined && (await options.observe(req, res))) return
    if (path === '/kv' || path.startsWith('/kv/')) {
      const notLoaded = options.notLoadedReason?.()
      if (notLoaded !== undefined) throw new HttpError(503, `loading: ${notLoaded}; try again shortly\n`, req.method === 'PUT', { 'retry-after': '1' })
    }
    if (path.startsWith('/kv/')) return kv(req, res, path.slice(4), query)
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method ?? ''} not allowed on ${path}\n`)
    switch (path) {
      case '/kv': {
        const params = queryKeys(query)
        const keys = map.keys(params.get('prefix') ?? '')
        const encoding = params.get('encoding') ?? 'utf8'
        if (encoding === 'base64') return json(res, keys.map((k) => keyToBytes(k).toString('base64')))
        if (encoding !== 'utf8') throw new HttpError(400, `encoding must be utf8 or base64, got "${keyToText(encoding)}"\n`)
        return json(res, keys.map(keyToText))
      }
      case '/livez':
        return options.isAlive() ? send(res, 200, 'ok\n') : send(res, 503, 'not alive: the root supervisor has exited\n')
      case '/readyz': {
        const failing = options.notReadyReasons()
        return failing.length === 0 ? send(res, 200, 'ok\n') : send(res, 503, `not ready: ${failing.join('; ')}\n`)
      }
      case '/metrics':
        return send(res, 200, await options.registry.metrics(), { 'content-type': options.registry.contentType })
      case '/cluster':
        return json(res, options.cluster())
      default:
        throw new HttpError(404, 'not found: try /kv/<key>, /kv?prefix=, /cluster, /livez, /readyz, /metrics or /observer\n')
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.closeConnection) res.setHeader('connection', 'close')
        if (!res.headersSent) send(res, err.status, err.message, err.headers)
        // Node may have let go of the socket already (a chunked upload refused mid-way): then it is closing anyway.
        if (err.closeConnection) (req.socket as Socket | null)?.end()
        return
      }
      if (req.destroyed || req.socket.destroyed) {
        // The client went away mid-request (an aborted upload, say): nothing was stored and nobody is left to answer.
        logger.debug({ err }, 'http client went away')
        return
      }
      logger.error({ err }, 'http request failed')
      if (!res.headersSent) send(res, 500, 'internal error\n')
      else res.destroy()
    })
  })
  const connections = limitConnections(server, {
    maxConnections: options.maxConnections ?? DEFAULT_HTTP_API_OPTIONS.maxConnections,
    logger,
    name: 'cache http',
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  logger.info({ port, host }, 'http api listening')
  let closing: Promise<void> | undefined
  const api: HttpApi = {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    connections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
    [Symbol.asyncDispose]() {
      return api.close()
    },
  }
  return api
}
