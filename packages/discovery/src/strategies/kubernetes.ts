/**
 * kubernetes: peers are the ready endpoints of a Service, read from the API server with the pod's service account —
 * EndpointSlices selected by `kubernetes.io/service-name` (or any label selector), listed then watched; the legacy
 * core/v1 Endpoints behind `api: 'endpoints'`. Not-ready and terminating endpoints are never dialled.
 * Gotchas: fail-open — while the API is down, forbidden (403) or slow, the last known peers are kept and the error is
 * reported; only a successful LIST or watch event changes the set. A 403 raises COHORT_ERR_KUBERNETES_FORBIDDEN whose
 * message holds the Role rule and RoleBinding to add.
 */
import { readFile as fsReadFile } from 'node:fs/promises'
import { InvalidOptionError } from '@cohort/core'
import { backoffDelay, checkBackoff } from '../backoff.ts'
import type { Peer } from '../cluster-node.ts'
import { DiscoveryUnavailableError } from '../errors.ts'
import { delay } from '../internal/delay.ts'
import { withDefaults } from '../internal/with-defaults.ts'
import { createApiClient, inClusterBaseUrl } from '../kubernetes/api-client.ts'
import { endpointsOfSlices, SERVICE_NAME_LABEL } from '../kubernetes/endpoint-slices.ts'
import type { DiscoveredEndpoint } from '../kubernetes/endpoint-slices.ts'
import { endpointsOfEndpoints } from '../kubernetes/endpoints.ts'
import { nodeHttpsClient } from '../kubernetes/http-client.ts'
import type { KubernetesHttpClient } from '../kubernetes/http-client.ts'
import { startListWatch } from '../kubernetes/list-watch.ts'
import { kubernetesNodeName } from '../kubernetes/pod-node-name.ts'
import type { NameMode } from '../kubernetes/pod-node-name.ts'
import { checkBasename, checkPort, peerUrl } from '../peer-address.ts'
import type { PeerScheme } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'

/** Options of kubernetes(). Give `service` or `labelSelector`. */
export interface KubernetesOptions {
  /** Peers are named `<basename>@…` (see `nameMode`). */
  basename: string
  /** The (headless) Service whose endpoints are the peers. */
  service?: string
  /** A label selector over EndpointSlices (or Endpoints), instead of `service`, e.g. `app.kubernetes.io/name=cohort`. */
  labelSelector?: string
  /** The namespace. @default the service account's `namespace` file */
  namespace?: string
  /** The Service port to dial. @default the only port of the slice */
  portName?: string
  /** Dial this port instead of the Service's. @default undefined */
  port?: number
  /** `ip`, `dns` or `hostname` (see kubernetesNodeName). @default 'ip' */
  nameMode?: NameMode
  /** @default 'cluster.local' */
  clusterDomain?: string
  /** `endpointSlices`, or the legacy core/v1 `endpoints` for clusters before 1.21. @default 'endpointSlices' */
  api?: 'endpointSlices' | 'endpoints'
  /** @default 'ws' */
  scheme?: PeerScheme
  /** The environment (KUBERNETES_SERVICE_HOST/PORT). Pass `process.env`. @default {} */
  env?: Readonly<Record<string, string | undefined>>
  /** Reads a file as UTF-8 text. @default fs.promises.readFile */
  readFile?: (path: string) => Promise<string>
  /** @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  serviceAccountDir?: string
  /** The API server base URL, instead of the one built from env. @default from env */
  apiUrl?: string
  /** The HTTP client. @default node:https with the service-account CA */
  http?: KubernetesHttpClient
  /** The token is re-read after this long (and after any 401). @default 60_000 — as client-go */
  tokenMaxAgeMs?: number
  /** A LIST (or a watch that never starts) taking longer fails. @default 10_000 */
  requestTimeoutMs?: number
  /** Asked of the server for each watch; it ends the stream then and we resume. @default 300 */
  watchTimeoutSeconds?: number
  /** @default 1_000 */
  retryInitialMs?: number
  /** @default 30_000 */
  retryMaxMs?: number
  /** Largest list body or watch event accepted. @default 16 MiB */
  maxBodyBytes?: number
}

/** The defaults of KubernetesOptions. */
export const DEFAULT_KUBERNETES_OPTIONS: Readonly<{
  nameMode: NameMode
  clusterDomain: string
  api: 'endpointSlices' | 'endpoints'
  scheme: PeerScheme
  serviceAccountDir: string
  tokenMaxAgeMs: number
  requestTimeoutMs: number
  watchTimeoutSeconds: number
  retryInitialMs: number
  retryMaxMs: number
  maxBodyBytes: number
}> = Object.freeze({
  nameMode: 'ip',
  clusterDomain: 'cluster.local',
  api: 'endpointSlices',
  scheme: 'ws',
  serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
  tokenMaxAgeMs: 60_000,
  requestTimeoutMs: 10_000,
  watchTimeoutSeconds: 300,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  maxBodyBytes: 16 * 1024 * 1024,
})

const NAME_MODES: readonly string[] = ['ip', 'dns', 'hostname']

function positive(option: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidOptionError(option, value, 'a positive number')
}

/**
 * A strategy that watches the ready endpoints of a Service through the API server.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @throws DiscoveryUnavailableError (COHORT_ERR_DISCOVERY_UNAVAILABLE) when not in a pod and no `apiUrl` is given
 * @example kubernetes({ service: 'cohort-headless', portName: 'cluster', basename: 'chat', env: process.env })
 */
export function kubernetes(options: KubernetesOptions): Strategy {
  const o = withDefaults(DEFAULT_KUBERNETES_OPTIONS, options)
  checkBasename('basename', o.basename)
  if ((o.service === undefined) === (o.labelSelector === undefined)) {
    throw new InvalidOptionError('service', o.service, 'exactly one of service or labelSelector')
  }
  if (o.service !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.service)) {
    throw new InvalidOptionError('service', o.service, 'a Service name (RFC 1035 label)')
  }
  if (o.labelSelector !== undefined && (typeof o.labelSelector !== 'string' || o.labelSelector.trim() === '')) {
    throw new InvalidOptionError('labelSelector', o.labelSelector, 'a label selector such as "app=cohort"')
  }
  if (o.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.namespace)) {
    throw new InvalidOptionError('namespace', o.namespace, 'a namespace name')
  }
  if (o.port !== undefined) checkPort('port', o.port)
  if (!NAME_MODES.includes(o.nameMode)) throw new InvalidOptionError('nameMode', o.nameMode, '"ip", "dns" or "hostname"')
  if (o.api !== 'endpointSlices' && o.api !== 'endpoints') {
    throw new InvalidOptionError('api', o.api, '"endpointSlices" or "endpoints"')
  }
  positive('tokenMaxAgeMs', o.tokenMaxAgeMs)
  positive('requestTimeoutMs', o.requestTimeoutMs)
  positive('watchTimeoutSeconds', o.watchTimeoutSeconds)
  positive('maxBodyBytes', o.maxBodyBytes)
  checkBackoff('retry', { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs })
  let baseUrl: URL
  if (o.apiUrl !== undefined) {
    try {
      baseUrl = new URL(o.apiUrl)
    } catch {
      throw new InvalidOptionError('apiUrl', o.apiUrl, 'an https URL such as "https://10.96.0.1:443"')
    }
  } else {
    baseUrl = inClusterBaseUrl(o.env ?? {})
  }
  const readFile = o.readFile ?? ((path: string) => fsReadFile(path, 'utf8'))
  const http = o.http ?? nodeHttpsClient

  return {
    name: 'kubernetes',
    start(context) {
      const client = createApiClient({
        baseUrl,
        serviceAccountDir: o.serviceAccountDir,
        readFile,
        http,
        clock: context.clock,
        logger: context.logger,
        tokenMaxAgeMs: o.tokenMaxAgeMs,
        requestTimeoutMs: o.requestTimeoutMs,
        maxBodyBytes: o.maxBodyBytes,
      })
      let inner: { stop(): Promise<void> } | undefined
      let stopped = false
      const stopper = new AbortController()
      const warned = new Set<string>()

      const toPeers = (endpoints: DiscoveredEndpoint[]): { peers: Peer[]; pending: string[] } => {
        const peers: Peer[] = []
        const pending: string[] = []
        for (const e of endpoints) {
          const name = kubernetesNodeName({ ...e, basename: o.basename, nameMode: o.nameMode, clusterDomain: o.clusterDomain })
          const port = o.port ?? e.port
          if (name === undefined || port === undefined) {
            const why = name === undefined ? 'has no hostname (nameMode "hostname" needs StatefulSet pods)' : 'has no port'
            const key = `${e.address}:${why}`
            if (!warned.has(key)) {
              warned.add(key)
              context.logger.warn(
                { peer: e.address, reason: why, portName: o.portName },
                'kubernetes endpoint skipped: it cannot be named or dialled',
              )
            }
            continue
          }
          if (e.active) peers.push({ name, url: peerUrl(e.address, port, o.scheme) })
          else pending.push(name)
        }
        peers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        return { peers, pending }
      }

      const begin = async (): Promise<void> => {
        let namespace: string
        for (let attempt = 1; ; attempt++) {
          try {
            namespace = o.namespace ?? (await client.namespace())
            break
          } catch (err) {
            if (stopped) return
            context.fail(err instanceof Error ? err : new DiscoveryUnavailableError('kubernetes', String(err)))
            const retry = { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs }
            await delay(context.clock, backoffDelay(attempt, retry, context.random), stopper.signal)
            if (stopped) return
          }
        }
        const legacy = o.api === 'endpoints'
        const selector: Record<string, string> =
          o.service !== undefined
            ? legacy
              ? { fieldSelector: `metadata.name=${o.service}` }
              : { labelSelector: `${SERVICE_NAME_LABEL}=${o.service}` }
            : { labelSelector: o.labelSelector as string }
        inner = startListWatch({
          client,
          path: legacy ? `/api/v1/namespaces/${namespace}/endpoints` : `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
          selector,
          access: legacy
            ? { resource: 'endpoints', group: '', namespace }
            : { resource: 'endpointslices', group: 'discovery.k8s.io', namespace },
          clock: context.clock,
          random: context.random,
          logger: context.logger,
          retry: { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs },
          requestTimeoutMs: o.requestTimeoutMs,
          watchTimeoutSeconds: o.watchTimeoutSeconds,
          onState(objects) {
            const endpoints = legacy
              ? endpointsOfEndpoints(objects.values(), { portName: o.portName, namespace })
              : endpointsOfSlices(objects.values(), { portName: o.portName, namespace })
            context.update(toPeers(endpoints))
          },
          onError: (err) => context.fail(err),
        })
        if (stopped) await inner.stop()
      }
      const started = begin()
      return {
        async stop() {
          stopped = true
          stopper.abort()
          await inner?.stop()
          await started
          await inner?.stop()
        },
      }
    },
  }
}
