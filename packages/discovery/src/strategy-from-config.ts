/**
 * Builds the Strategy a loaded configuration names, so a composition root is `loadConfig` → `strategyFromConfig` →
 * `joinCluster`. The DNS strategies get a Resolver on COHORT_DNS_SERVERS when set.
 */
import { promises as dns } from 'node:dns'
import type { DiscoveryConfig } from './config.ts'
import type { DnsResolver } from './strategies/dns-resolver.ts'
import { dnsA } from './strategies/dns-a.ts'
import { dnsSrv } from './strategies/dns-srv.ts'
import { kubernetes } from './strategies/kubernetes.ts'
import type { KubernetesOptions } from './strategies/kubernetes.ts'
import { localPorts } from './strategies/local-ports.ts'
import { staticPeers } from './strategies/static-peers.ts'
import type { Strategy } from './strategy.ts'

/** What the strategies need besides the configuration. */
export interface StrategyFromConfigOptions {
  /** For kubernetes(): KUBERNETES_SERVICE_HOST/PORT. Pass `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
  /** For kubernetes(): reads the service-account files. @default fs.promises.readFile */
  readFile?: (path: string) => Promise<string>
  /** For dnsA/dnsSrv: overrides COHORT_DNS_SERVERS. */
  resolver?: DnsResolver
  /** Extra kubernetes() options (serviceAccountDir, http, apiUrl). */
  kubernetes?: Partial<KubernetesOptions>
}

/**
 * The strategy for `config`.
 * @example const strategy = strategyFromConfig(config.discovery, { env: process.env })
 */
export function strategyFromConfig(config: DiscoveryConfig, options: StrategyFromConfigOptions = {}): Strategy {
  const resolverFor = (servers: string[]): DnsResolver | undefined => {
    if (options.resolver !== undefined) return options.resolver
    if (servers.length === 0) return undefined
    const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 })
    resolver.setServers(servers)
    return resolver
  }
  switch (config.strategy) {
    case 'static':
      return staticPeers(config.peers)
    case 'localPorts':
      return localPorts({ host: config.host, ports: config.ports, basename: config.basename })
    case 'dnsA': {
      const resolver = resolverFor(config.servers)
      return dnsA({ query: config.query, port: config.port, basename: config.basename, intervalMs: config.intervalMs, ...(resolver ? { resolver } : {}) })
    }
    case 'dnsSrv': {
      const resolver = resolverFor(config.servers)
      return dnsSrv({ query: config.query, basename: config.basename, intervalMs: config.intervalMs, ...(resolver ? { resolver } : {}) })
    }
    case 'kubernetes':
      return kubernetes({
        basename: config.basename,
        ...(config.service !== undefined ? { service: config.service } : {}),
        ...(config.labelSelector !== undefined ? { labelSelector: config.labelSelector } : {}),
        ...(config.namespace !== undefined ? { namespace: config.namespace } : {}),
        ...(config.portName !== undefined ? { portName: config.portName } : {}),
        nameMode: config.nameMode,
        clusterDomain: config.clusterDomain,
        api: config.api,
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.readFile !== undefined ? { readFile: options.readFile } : {}),
        ...options.kubernetes,
      })
  }
}
