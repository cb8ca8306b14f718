/**
 * dnsSrv: every SRV target of a name is a peer `basename@<target>` dialled at `ws://<target>:<SRV port>`. For a
 * Kubernetes headless Service with a named port (`_<port>._tcp.<svc>.<ns>.svc.<zone>`) whose pods have DNS names
 * (StatefulSet), so the node name is the pod's DNS name. Polls every `intervalMs`.
 * Gotchas: a target that is the Service's own name means the Service is not headless (libcluster#149); a Service
 * without named ports has no SRV records (libcluster#121). NXDOMAIN keeps the last known set, as in dnsA.
 */
import { checkBasename } from '../peer-address.ts'
import { nodeName } from '@cohort/core'
import { peerUrl } from '../peer-address.ts'
import type { PeerScheme } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'
import { checkPollingOptions, DEFAULT_DNS_A_OPTIONS } from './dns-a.ts'
import { defaultResolver, isNoData } from './dns-resolver.ts'
import type { DnsResolver } from './dns-resolver.ts'
import { startPolling } from './polling.ts'
import type { DnsPollingOptions } from './dns-a.ts'

/** Options of dnsSrv. */
export interface DnsSrvOptions extends DnsPollingOptions {
  /** The SRV name, e.g. `_cluster._tcp.cohort-headless.demo.svc.cluster.local.`. */
  query: string
  /** Peers are named `<basename>@<target>`. */
  basename: string
}

/** The defaults of DnsSrvOptions. */
export const DEFAULT_DNS_SRV_OPTIONS: Readonly<{
  intervalMs: number
  timeoutMs: number
  retryInitialMs: number
  retryMaxMs: number
  scheme: PeerScheme
}> = Object.freeze({
  intervalMs: DEFAULT_DNS_A_OPTIONS.intervalMs,
  timeoutMs: DEFAULT_DNS_A_OPTIONS.timeoutMs,
  retryInitialMs: DEFAULT_DNS_A_OPTIONS.retryInitialMs,
  retryMaxMs: DEFAULT_DNS_A_OPTIONS.retryMaxMs,
  scheme: 'ws',
})

/**
 * A strategy that polls the SRV records of `query`; each target is dialled on its own port.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example dnsSrv({ query: '_cluster._tcp.cohort-headless.demo.svc.cluster.local.', basename: 'chat' })
 */
export function dnsSrv(options: DnsSrvOptions): Strategy {
  const o = {
    ...DEFAULT_DNS_SRV_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<DnsSrvOptions>
  checkPollingOptions(o)
  checkBasename('basename', o.basename)
  const resolver = options.resolver ?? defaultResolver()
  return {
    name: 'dnsSrv',
    start(context) {
      return startPolling(context, {
        strategy: 'dnsSrv',
        intervalMs: o.intervalMs,
        timeoutMs: o.timeoutMs,
        retry: { initialMs: o.retryInitialMs, maxMs: o.retryMaxMs },
        async lookup(signal) {
          signal.addEventListener('abort', () => resolver.cancel?.(), { once: true })
          let records: Awaited<ReturnType<DnsResolver['resolveSrv']>>
          try {
            records = await resolver.resolveSrv(o.query)
          } catch (err) {
            if (isNoData(err)) return { peers: [] }
            throw err
          }
          // One peer per target: the lowest priority wins, then the lowest port, so every node picks the same URL.
          const sorted = [...records].sort((a, b) => a.priority - b.priority || a.port - b.port)
          const byTarget = new Map<string, string>()
          for (const r of sorted) {
            const target = r.name.replace(/\.$/, '')
            if (!byTarget.has(target)) byTarget.set(target, peerUrl(target, r.port, o.scheme))
          }
          const peers = [...byTarget.keys()].sort().map((target) => ({
            name: nodeName(o.basename, target),
            url: byTarget.get(target) as string,
          }))
          return { peers }
        },
      })
    },
  }
}
