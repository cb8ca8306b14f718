/**
 * The in-cluster Kubernetes API client: base URL from KUBERNETES_SERVICE_HOST/PORT (IPv6 bracketed), bearer token and
 * CA from the service-account directory, re-read at most every `tokenMaxAgeMs` and at once after a 401 (bound tokens
 * rotate about hourly), TLS always verified. Used by the kubernetes() strategy; env, readFile and HTTP are injected.
 * Gotchas: a missing ca.crt fails loudly instead of falling back to an unverified connection (libcluster#136).
 */
import type { Clock } from '@cohort/core'
import type { Logger } from 'pino'
import { DiscoveryUnavailableError } from '../errors.ts'
import { joinHostPort } from '../peer-address.ts'
import { forbiddenError } from './forbidden.ts'
import type { RequestedAccess } from './forbidden.ts'
import type { KubernetesHttpClient, KubernetesHttpResponse } from './http-client.ts'
import { readJsonLines, readText } from './json-lines.ts'

/** What the API client is built from. */
export interface ApiClientOptions {
  baseUrl: URL
  serviceAccountDir: string
  readFile: (path: string) => Promise<string>
  http: KubernetesHttpClient
  clock: Clock
  logger: Logger
  tokenMaxAgeMs: number
  requestTimeoutMs: number
  /** Bound on one list body or one watch event. */
  maxBodyBytes: number
}

/** A GET against one collection. */
export interface ApiRequest {
  path: string
  query: Record<string, string>
  /** For a 403 that cannot be parsed: what was asked. */
  access: RequestedAccess
  signal: AbortSignal
  /** The request (headers and whole body) is aborted after this long. */
  timeoutMs: number
}

export interface ApiClient {
  readonly baseUrl: URL
  /** The namespace file of the service account, trimmed. */
  namespace(): Promise<string>
  /** GET and parse one JSON document. */
  getJson(request: ApiRequest): Promise<unknown>
  /** GET a watch stream and yield its events. */
  watch(request: ApiRequest): AsyncGenerator<unknown>
}

/**
 * The API server's base URL, as client-go's InClusterConfig builds it.
 * @throws DiscoveryUnavailableError when either variable is empty (not running in a pod)
 */
export function inClusterBaseUrl(env: Readonly<Record<string, string | undefined>>): URL {
  const host = env['KUBERNETES_SERVICE_HOST']
  const port = env['KUBERNETES_SERVICE_PORT']
  if (!host || !port) {
    throw new DiscoveryUnavailableError(
      'kubernetes',
      'not running in a kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set ' +
        `(got ${JSON.stringify(host ?? '')} and ${JSON.stringify(port ?? '')}); pass env: process.env, or apiUrl`,
    )
  }
  return new URL(`https://${joinHostPort(host, Number(port))}`)
}

interface Credentials {
  token: string
  ca: string
  readAt: number
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { clock, logger } = options
  const dir = options.serviceAccountDir.replace(/\/$/, '')
  let credentials: Credentials | undefined

  const readServiceAccountFile = async (file: string, why: string): Promise<string> => {
    const path = `${dir}/${file}`
    try {
      return await options.readFile(path)
    } catch (err) {
      throw new DiscoveryUnavailableError('kubernetes', `cannot read the service-account ${why} ${path}`, { cause: err })
    }
  }

  const getCredentials = async (force: boolean): Promise<Credentials> => {
    if (!force && credentials !== undefined && clock.now() - credentials.readAt < options.tokenMaxAgeMs) {
      return credentials
    }
    try {
      const token = (await readServiceAccountFile('token', 'token')).trim()
      if (token === '') throw new DiscoveryUnavailableError('kubernetes', `the service-account token ${dir}/token is empty`)
      const ca = await readServiceAccountFile('ca.crt', 'CA bundle (needed to verify the API server; never skipped)')
      credentials = { token, ca, readAt: clock.now() }
    } catch (err) {
      // client-go keeps the old token when a re-read fails; a rotation in progress must not stop discovery.
      if (credentials === undefined || force) throw err
      logger.warn({ err }, 'cannot re-read the service-account files; using the previous token')
      credentials.readAt = clock.now()
    }
    return credentials
  }

  /** Sends one GET, re-reading the token and retrying once on 401. The caller must call `done` when finished. */
  const send = async (
    req: ApiRequest,
  ): Promise<{ response: KubernetesHttpResponse; done: () => void; timedOut: () => boolean }> => {
    const url = new URL(req.path, options.baseUrl)
    for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v)
    for (let attempt = 1; ; attempt++) {
      const creds = await getCredentials(attempt > 1)
      const controller = new AbortController()
      let timedOut = false
      const onAbort = (): void => controller.abort()
      req.signal.addEventListener('abort', onAbort, { once: true })
      const timer = clock.setTimeout(() => {
        timedOut = true
        controller.abort()
      }, req.timeoutMs)
      const done = (): void => {
        clock.clearTimeout(timer)
        req.signal.removeEventListener('abort', onAbort)
        controller.abort()
      }
      let response: KubernetesHttpResponse
      try {
        response = await options.http({
          url,
          headers: { authorization: `Bearer ${creds.token}`, accept: 'application/json' },
          ca: creds.ca,
          signal: controller.signal,
        })
      } catch (err) {
        done()
        throw transportError(err, timedOut, req, url)
      }
      if (response.status === 401 && attempt === 1) {
        done()
        logger.info('kubernetes API answered 401; re-reading the service-account token')
        continue
      }
      if (response.status !== 200) {
        let status: unknown
        try {
          const text = await readText(response.body, options.maxBodyBytes)
          status = JSON.parse(text)
        } catch {
          status = undefined
        } finally {
          done()
        }
        throw statusError(response.status, status, req)
      }
      return { response, done, timedOut: () => timedOut }
    }
  }

  return {
    baseUrl: options.baseUrl,
    async namespace() {
      const ns = (await readServiceAccountFile('namespace', 'namespace file (or set the namespace option)')).trim()
      if (ns === '') throw new DiscoveryUnavailableError('kubernetes', `the service-account namespace file ${dir}/namespace is empty`)
      return ns
    },
    async getJson(req) {
      const { response, done, timedOut } = await send(req)
      try {
        return JSON.parse(await readText(response.body, options.maxBodyBytes))
      } catch (err) {
        throw transportError(err, timedOut(), req, new URL(req.path, options.baseUrl))
      } finally {
        done()
      }
    },
    async *watch(req) {
      const { response, done, timedOut } = await send(req)
      try {
        yield* readJsonLines(response.body, options.maxBodyBytes)
      } catch (err) {
        if (req.signal.aborted) return
        throw transportError(err, timedOut(), req, new URL(req.path, options.baseUrl))
      } finally {
        done()
      }
    },
  }
}

function transportError(err: unknown, timedOut: boolean, req: ApiRequest, url: URL): Error {
  if (err instanceof DiscoveryUnavailableError) return err
  if (timedOut) {
    return new DiscoveryUnavailableError('kubernetes', `request to ${url.pathname} timed out after ${req.timeoutMs} ms`, {
      cause: err,
    })
  }
  const detail = err instanceof Error ? err.message : String(err)
  return new DiscoveryUnavailableError('kubernetes', `request to ${url.origin}${url.pathname} failed: ${detail}`, { cause: err })
}

/** An Error for a non-200 answer; 403 becomes KubernetesForbiddenError with the RBAC rule. */
export function statusError(httpStatus: number, status: unknown, req: ApiRequest): Error {
  if (httpStatus === 403) return forbiddenError(status, req.access)
  const s = (typeof status === 'object' && status !== null ? status : {}) as { reason?: unknown; message?: unknown }
  const reason = typeof s.reason === 'string' ? ` ${s.reason}` : ''
  const message = typeof s.message === 'string' ? `: ${s.message}` : ''
  const hint =
    httpStatus === 401
      ? ' (the service-account token was re-read and still refused)'
      : httpStatus === 404
        ? ' (is the API group served? for clusters before 1.21 use api: "endpoints")'
        : ''
  return new DiscoveryUnavailableError(
    'kubernetes',
    `kubernetes API answered ${httpStatus}${reason} for ${req.path}${message}${hint}`,
    { httpStatus, cause: status },
  )
}
