/**
 * Node names of pods, so that a pod announces the same name its peers derive from the EndpointSlices:
 * `ip` → `basename@<pod IP>`; `dns` → `basename@<label>.<svc>.<ns>.svc.<zone>` where label is the endpoint hostname
 * if the pod has one, else the dashed IP (the name CoreDNS serves for a headless Service's endpoint);
 * `hostname` → `basename@<hostname>.<svc>.<ns>.svc.<zone>` (StatefulSet pods only).
 */
import { nodeName } from '@cohort/core'

/** How node names are derived from endpoints. */
export type NameMode = 'ip' | 'dns' | 'hostname'

/** The dashed form CoreDNS uses for an endpoint without hostname: `10.244.1.17` → `10-244-1-17`. */
export function dashedAddress(address: string): string {
  const dashed = address.replace(/[.:]/g, '-')
  return dashed.endsWith('-') ? `${dashed}0` : dashed
}

/** What a pod's node name is computed from. */
export interface PodNameInput {
  basename: string
  nameMode: NameMode
  /** The pod IP (`status.podIP`, `POD_IP` from the downward API). */
  address: string
  /** The pod's hostname when `spec.subdomain` names the Service (StatefulSets: the pod name). */
  hostname?: string | undefined
  service: string
  namespace: string
  /** @default 'cluster.local' */
  clusterDomain?: string
}

/**
 * The node name of a pod, or undefined in `hostname` mode for a pod without hostname.
 * @example kubernetesNodeName({ basename: 'chat', nameMode: 'ip', address: '10.244.1.17', service: 's', namespace: 'demo' }) // 'chat@10.244.1.17'
 */
export function kubernetesNodeName(input: PodNameInput): string | undefined {
  const zone = (input.clusterDomain ?? 'cluster.local').replace(/\.$/, '')
  const suffix = `${input.service}.${input.namespace}.svc.${zone}`
  switch (input.nameMode) {
    case 'ip':
      return nodeName(input.basename, input.address)
    case 'dns':
      return nodeName(input.basename, `${input.hostname || dashedAddress(input.address)}.${suffix}`)
    case 'hostname':
      return input.hostname ? nodeName(input.basename, `${input.hostname}.${suffix}`) : undefined
  }
}
