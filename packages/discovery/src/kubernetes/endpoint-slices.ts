/**
 * EndpointSlices (discovery.k8s.io/v1) of a Service, merged into one endpoint list: every slice of the Service counts
 * (dual stack, more than 100 endpoints, mid-rollout ports), duplicates across slices are dropped, and each endpoint
 * is classed by its conditions as the EndpointSlice controller fills them (K8S.md 2.3).
 */
import type { KubeObject } from './list-watch.ts'

/** The label the EndpointSlice controller sets to the owning Service's name. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

/** One endpoint, from a slice or a legacy Endpoints subset. */
export interface DiscoveredEndpoint {
  /** The address to dial: an IP, or a DNS name for `FQDN` slices. */
  address: string
  /** `hostname`, set for StatefulSet pods of their governing Service. */
  hostname: string | undefined
  /** The Service the endpoint belongs to. */
  service: string
  namespace: string
  /** The port named `portName` (or the only port), undefined if there is none. */
  port: number | undefined
  /** `ready` and not terminating: a peer. */
  active: boolean
}

interface EndpointSlice extends KubeObject {
  addressType?: string
  endpoints?: Array<{
    addresses?: string[]
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }
    hostname?: string
  }> | null
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null
}

/** Picks the port named `portName`, or the only port when no name is given. */
export function pickPort(
  ports: ReadonlyArray<{ name?: string; port?: number }> | null | undefined,
  portName: string | undefined,
): number | undefined {
  const list = ports ?? []
  const port = portName === undefined ? (list.length === 1 ? list[0] : undefined) : list.find((p) => (p.name ?? '') === portName)
  return typeof port?.port === 'number' ? port.port : undefined
}

export function endpointsOfSlices(
  slices: Iterable<KubeObject>,
  options: { portName: string | undefined; namespace: string },
): DiscoveredEndpoint[] {
  const byAddress = new Map<string, DiscoveredEndpoint>()
  for (const raw of slices) {
    const slice = raw as EndpointSlice
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL] ?? ''
    const port = pickPort(slice.ports, options.portName)
    for (const endpoint of slice.endpoints ?? []) {
      const address = endpoint.addresses?.[0]
      if (typeof address !== 'string' || address === '') continue
      // Absent ready means ready; terminating pods are never dialled, even with publishNotReadyAddresses.
      const active = (endpoint.conditions?.ready ?? true) && endpoint.conditions?.terminating !== true
      const found: DiscoveredEndpoint = {
        address,
        hostname: endpoint.hostname,
        service,
        namespace: slice.metadata?.namespace ?? options.namespace,
        port,
        active,
      }
      const previous = byAddress.get(address)
      // The same address may sit in two slices for a moment; an active copy wins.
      if (previous === undefined || (!previous.active && active)) byAddress.set(address, found)
    }
  }
  return [...byAddress.values()]
}
