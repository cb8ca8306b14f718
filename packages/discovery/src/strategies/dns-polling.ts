/**
 * What the two DNS strategies share: their polling options and defaults, the checks of those options, and the
 * strategy around one lookup (the poll loop of polling.ts, with a timed-out lookup cancelling the resolver's queries).
 * dns-a.ts and dns-srv.ts add only what they ask the resolver and how an answer becomes peers.
 */
import { InvalidOptionError } from '@cohort/core'
import { checkBackoff } from '../backoff.ts'
import type { Peer } from '../cluster-node.ts'
import type { PeerScheme } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'
import { defaultResolver } from './dns-resolver.ts'
import type { DnsResolver } from './dns-resolver.ts'
import { startPolling } from './polling.ts'

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

/** The defaults of DnsPollingOptions. */
export const DEFAULT_DNS_POLLING_OPTIONS: Readonly<{
  intervalMs: number
  timeoutMs: number
  retryInitialMs: number
  retryMaxMs: number
  scheme: PeerScheme
}> = Object.freeze({
  intervalMs: 5_000,
  timeoutMs: 5_000,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  scheme: 'ws',
})

/** The polling options after defaults, with the name to resolve. */
type ResolvedPolling = typeof DEFAULT_DNS_POLLING_OPTIONS & { query: unknown }

/** Checks the polling options the DNS strategies share. */
export function checkPollingOptions(o: ResolvedPolling): void {
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
 * A strategy named `name` that polls `lookup` on the options' schedule. A lookup that times out or is stopped
 * cancels the resolver's outstanding queries.
 */
export function dnsPollingStrategy(
  name: string,
  o: ResolvedPolling & { resolver?: DnsResolver },
  lookup: (resolver: DnsResolver) => Promise<Peer[]>,
): Strategy {
  const resolver = o.resolver ?? defaultResolver()
  return {
    name,
    start(context) {
      return startPolling(context, {
        strategy: name,
        intervalMs: o.intervalMs,
        timeoutMs: o.timeoutMs,
        retry: { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs },
        async lookup(signal) {
          signal.addEventListener('abort', () => resolver.cancel?.(), { once: true })
          return { peers: await lookup(resolver) }
        },
      })
    },
  }
}
