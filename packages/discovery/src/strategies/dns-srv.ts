/**
 * dnsSrv: every SRV target of a name is a peer `basename@<target>` dialled at `ws://<target>:<SRV port>`. For a
 * Kubernetes headless Service with a named port (`_<port>._tcp.<svc>.<ns>.svc.<zone>`) whose pods have DNS names
 * (StatefulSet), so the node name is the pod's DNS name. Polls every `intervalMs`.
 * Gotchas: a target that is the Service's own name means the Service is not headless (libcluster#149); a Service
 * without named ports has no SRV records (libcluster#121). NXDOMAIN keeps the last known set, as in dnsA.
 */
import { nodeName } from '@cohort/core'
import type { Peer } from '../cluster-node.ts'
import { withDefaults } from '../internal/with-defaults.ts'
import { checkBasename, peerUrl } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'
import { checkPollingOptions, DEFAULT_DNS_POLLING_OPTIONS, dnsPollingStrategy } from './dns-polling.ts'
import type { DnsPollingOptions } from './dns-polling.ts'
import { isNoData } from './dns-resolver.ts'
import type { DnsResolver } from './dns-resolver.ts'

/** Options of dnsSrv. */
export interface DnsSrvOptions extends DnsPollingOptions {
  /** The SRV name, e.g. `_cluster._tcp.cohort-headless.demo.svc.cluster.local.`. */
  query: string
  /** Peers are named `<basename>@<target>`. */
  basename: string
}

/** The defaults of DnsSrvOptions. */
export const DEFAULT_DNS_SRV_OPTIONS: typeof DEFAULT_DNS_POLLING_OPTIONS = DEFAULT_DNS_POLLING_OPTIONS

/**
 * A strategy that polls the SRV records of `query`; each target is dialled on its own port.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example dnsSrv({ query: '_cluster._tcp.cohort-headless.demo.svc.cluster.local.', basename: 'chat' })
 */
export function dnsSrv(options: DnsSrvOptions): Strategy {
  const o = withDefaults(DEFAULT_DNS_SRV_OPTIONS, options)
  checkPollingOptions(o)
  checkBasename('basename', o.basename)
  return dnsPollingStrategy('dnsSrv', o, async (resolver) => {
    let records: Awaited<ReturnType<DnsResolver['resolveSrv']>>
    try {
      records = await resolver.resolveSrv(o.query)
    } catch (err) {
      if (isNoData(err)) return []
      throw err
    }
    // One peer per target: the lowest priority wins, then the lowest port, so every node picks the same URL.
    const sorted = [...records].sort((a, b) => a.priority - b.priority || a.port - b.port)
    const byTarget = new Map<string, string>()
    for (const r of sorted) {
      const target = r.name.replace(/\.$/, '')
      if (!byTarget.has(target)) byTarget.set(target, peerUrl(target, r.port, o.scheme))
    }
    return [...byTarget.keys()].sort().map((target): Peer => ({
      name: nodeName(o.basename, target),
      url: byTarget.get(target) as string,
    }))
  })
}
