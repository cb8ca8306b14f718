/**
 * dnsA: every A/AAAA record of a name is a peer `basename@<ip>` dialled at `ws://<ip>:<port>` (IPv6 bracketed in the
 * URL). For a Kubernetes headless Service (`<svc>.<ns>.svc.<zone>`, which lists only ready pods) or a docker-compose
 * service name. Polls every `intervalMs`.
 * Gotchas: NXDOMAIN is a failure, not "no peers": Kubernetes answers NXDOMAIN when no pod is ready (DNS spec 1.1.0),
 * which is a transient state, so the last known set is kept. A name with no record of either family (NODATA twice)
 * is a real empty answer.
 */
import { InvalidOptionError } from '@cohort/core'
import { checkBackoff } from '../backoff.ts'
import type { Peer } from '../cluster-node.ts'
import { nodeName } from '@cohort/core'
import { checkBasename, checkPort, peerUrl } from '../peer-address.ts'
import type { PeerScheme } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'
import { defaultResolver, isNoData } from './dns-resolver.ts'
import type { DnsResolver } from './dns-resolver.ts'
import { startPolling } from './polling.ts'

/** Options of dnsA. */
export interface DnsAOptions extends DnsPollingOptions {
  /** The name to resolve, e.g. `cohort-headless.demo.svc.cluster.local.` (a trailing dot skips the search list). */
  query: string
  /** The port every peer listens on. */
  port: number
  /** Peers are named `<basename>@<ip>`. */
  basename: string
  /** Address families to ask for. @default [4, 6] */
  families?: ReadonlyArray<4 | 6>
}

/** How the DNS strategies poll: shared by dnsA and dnsSrv. */
export interface DnsPollingOptions {
  /** Poll period. @default 5_000 — CoreDNS's record TTL is 5 s */
  intervalMs?: number
  /** A lookup taking longer fails. @default 5_000 */
  timeoutMs?: number
  /** First retry delay after a failed lookup, before jitter. @default 1_000 */
  retryInitialMs?: number
  /** Longest retry delay. @default 30_000 */
  retryMaxMs?: number
  /** @default 'ws' */
  scheme?: PeerScheme
  /** @default a new dns.promises.Resolver on the system's servers */
  resolver?: DnsResolver
}

/** The defaults of DnsAOptions. */
export const DEFAULT_DNS_A_OPTIONS: Readonly<{
  families: ReadonlyArray<4 | 6>
  intervalMs: number
  timeoutMs: number
  retryInitialMs: number
  retryMaxMs: number
  scheme: PeerScheme
}> = Object.freeze({
  families: Object.freeze([4, 6] as const),
  intervalMs: 5_000,
  timeoutMs: 5_000,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  scheme: 'ws',
})

/** Checks the polling options the DNS strategies share. */
export function checkPollingOptions(o: { query: unknown; intervalMs: number; timeoutMs: number; retryInitialMs: number; retryMaxMs: number }): void {
  if (typeof o.query !== 'string' || o.query === '') throw new InvalidOptionError('query', o.query, 'a DNS name')
  if (!Number.isFinite(o.intervalMs) || o.intervalMs <= 0) {
    throw new InvalidOptionError('intervalMs', o.intervalMs, 'a positive number of milliseconds')
  }
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) {
    throw new InvalidOptionError('timeoutMs', o.timeoutMs, 'a positive number of milliseconds')
  }
  checkBackoff('retry', { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs })
}

/**
 * A strategy that polls the A/AAAA records of `query`.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example dnsA({ query: 'cohort-headless.demo.svc.cluster.local.', port: 4370, basename: 'chat' })
 */
export function dnsA(options: DnsAOptions): Strategy {
  const o = {
    ...DEFAULT_DNS_A_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<DnsAOptions>
  checkPollingOptions(o)
  checkPort('port', o.port)
  checkBasename('basename', o.basename)
  if (!Array.isArray(o.families) || o.families.length === 0 || o.families.some((f) => f !== 4 && f !== 6)) {
    throw new InvalidOptionError('families', o.families, 'a non-empty list of 4 and/or 6')
  }
  const resolver = options.resolver ?? defaultResolver()
  return {
    name: 'dnsA',
    start(context) {
      return startPolling(context, {
        strategy: 'dnsA',
        intervalMs: o.intervalMs,
        timeoutMs: o.timeoutMs,
        retry: { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs },
        async lookup(signal) {
          signal.addEventListener('abort', () => resolver.cancel?.(), { once: true })
          const answers = await Promise.allSettled(
            o.families.map((family) => (family === 4 ? resolver.resolve4(o.query) : resolver.resolve6(o.query))),
          )
          const addresses: string[] = []
          for (const answer of answers) {
            if (answer.status === 'fulfilled') addresses.push(...answer.value)
            else if (!isNoData(answer.reason)) throw answer.reason
          }
          const peers: Peer[] = [...new Set(addresses)].sort().map((ip) => ({
            name: nodeName(o.basename, ip),
            url: peerUrl(ip, o.port, o.scheme),
          }))
          return { peers }
        },
      })
    },
  }
}
