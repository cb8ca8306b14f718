/**
 * The legacy core/v1 Endpoints of a Service (deprecated since 1.33; for clusters older than 1.21): `addresses` are
 * ready pods, `notReadyAddresses` the rest; terminating pods are already dropped by the endpoints controller.
 */
import type { DiscoveredEndpoint } from './endpoint-slices.ts'
import { pickPort } from './endpoint-slices.ts'
import type { KubeObject } from './list-watch.ts'

interface EndpointAddress {
  ip?: string
  hostname?: string
}

interface Endpoints extends KubeObject {
  subsets?: Array<{
    addresses?: EndpointAddress[]
    notReadyAddresses?: EndpointAddress[]
    ports?: Array<{ name?: string; port?: number }>
  }>
}

export function endpointsOfEndpoints(
  objects: Iterable<KubeObject>,
  options: { portName: string | undefined; namespace: string },
): DiscoveredEndpoint[] {
  const byAddress = new Map<string, DiscoveredEndpoint>()
  for (const raw of objects) {
    const object = raw as Endpoints
    const service = object.metadata?.name ?? ''
    const namespace = object.metadata?.namespace ?? options.namespace
    for (const subset of object.subsets ?? []) {
      const port = pickPort(subset.ports, options.portName)
      const add = (list: EndpointAddress[] | undefined, active: boolean): void => {
        for (const a of list ?? []) {
          if (typeof a.ip !== 'string' || a.ip === '') continue
          const previous = byAddress.get(a.ip)
          if (previous === undefined || (!previous.active && active)) {
            byAddress.set(a.ip, { address: a.ip, hostname: a.hostname, service, namespace, port, active })
          }
        }
      }
      add(subset.addresses, true)
      add(subset.notReadyAddresses, false)
    }
  }
  return [...byAddress.values()]
}
