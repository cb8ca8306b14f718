/**
 * The part of `dns.promises.Resolver` the DNS strategies use. Pass a Resolver whose `setServers` points at the DNS
 * server to ask (Docker's 127.0.0.11, a test dnsmasq); the default is a fresh Resolver using the system's servers.
 */
import { promises as dns } from 'node:dns'

/** A `dns.promises.Resolver`-like object. */
export interface DnsResolver {
  resolve4(hostname: string): Promise<string[]>
  resolve6(hostname: string): Promise<string[]>
  resolveSrv(hostname: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>
  /** Cancels outstanding queries; called when a lookup times out. */
  cancel?(): void
}

/** A Resolver on the system's DNS servers, with c-ares' own retries bounded below the strategy timeout. */
export function defaultResolver(): DnsResolver {
  return new dns.Resolver({ timeout: 2_000, tries: 2 })
}

/** `ENODATA`: the name exists but has no record of that type, an answer rather than a failure. */
export function isNoData(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENODATA'
}
