/**
 * dnsA: every A/AAAA record of a name is a peer `basename@<ip>` dialled at `ws://<ip>:<port>` (IPv6 bracketed in the
 * URL). For a Kubernetes headless Service (`<svc>.<ns>.svc.<zone>`, which lists only ready pods) or a docker-compose
 * service name. Polls every `intervalMs`.
 * Gotchas: NXDOMAIN is a failure, not "no peers": Kubernetes answers NXDOMAIN when no pod is ready (DNS spec 1.1.0),
 * which is a transient state, so the last known set is kept. A name with no record of either family (NODATA twice)
 * is a real empty answer.
 */
import { InvalidOptionError, nodeName } from '@cohort/core'
import type { Peer } from '../cluster-node.ts'
import { withDefaults } from '../internal/with-defaults.ts'
import { checkBasename, checkPort, peerUrl } from '../peer-address.ts'
import type { Strategy } from '../strategy.ts'
import { checkPollingOptions, DEFAULT_DNS_POLLING_OPTIONS, dnsPollingStrategy } from './dns-polling.ts'
import type { DnsPollingOptions } from './dns-polling.ts'
import { isNoData } from './dns-resolver.ts'

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

/** The defaults of DnsAOptions. */
export const DEFAULT_DNS_A_OPTIONS: Readonly<{ families: ReadonlyArray<4 | 6> } & typeof DEFAULT_DNS_POLLING_OPTIONS> = Object.freeze({
  families: Object.freeze([4, 6] as const),
  ...DEFAULT_DNS_POLLING_OPTIONS,
})

/**
 * A strategy that polls the A/AAAA records of `query`.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example dnsA({ query: 'cohort-headless.demo.svc.cluster.local.', port: 4370, basename: 'chat' })
 */
export function dnsA(options: DnsAOptions): Strategy {
  const o = withDefaults(DEFAULT_DNS_A_OPTIONS, options)
  checkPollingOptions(o)
  checkPort('port', o.port)
  checkBasename('basename', o.basename)
  if (!Array.isArray(o.families) || o.families.length === 0 || o.families.some((f) => f !== 4 && f !== 6)) {
    throw new InvalidOptionError('families', o.families, 'a non-empty list of 4 and/or 6')
  }
  return dnsPollingStrategy('dnsA', o, async (resolver) => {
    const answers = await Promise.allSettled(
      o.families.map((family) => (family === 4 ? resolver.resolve4(o.query) : resolver.resolve6(o.query))),
    )
    const addresses: string[] = []
    for (const answer of answers) {
      if (answer.status === 'fulfilled') addresses.push(...answer.value)
      else if (!isNoData(answer.reason)) throw answer.reason
    }
    return [...new Set(addresses)].sort().map((ip): Peer => ({
      name: nodeName(o.basename, ip),
      url: peerUrl(ip, o.port, o.scheme),
    }))
  })
}
