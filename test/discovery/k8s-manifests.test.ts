/**
 * deploy/k8s/: every manifest validates against the Kubernetes schemas (kubernetes-models, offline), and names,
 * ports, labels, selectors, RBAC, probes, the downward API and the shutdown timing agree with each other and with
 * @cohort/discovery's config module (its variable names, and loadConfig accepting the values).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { CONFIG_VARIABLES, loadConfig } from '@cohort/discovery'
import { RECOMMENDED_GLIBC_TUNABLES } from '@cohort/transport'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role'
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are checked field by field below
type Manifest = any

const dir = new URL('../../deploy/k8s/', import.meta.url)
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
const manifests: Array<{ file: string; doc: Manifest }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
    return { file, doc: d.toJSON() as Manifest }
  }),
)

const models: Record<string, new (data: Manifest) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
}

function one(kind: string): Manifest {
  const found = manifests.filter((m) => m.doc.kind === kind)
  expect(found, `exactly one ${kind} in deploy/k8s`).toHaveLength(1)
  return found[0]?.doc
}

const subset = (small: Record<string, string>, big: Record<string, string>): boolean =>
  Object.entries(small).every(([k, v]) => big[k] === v)

describe('deploy/k8s manifests', () => {
  it('parse as YAML and hold the expected kinds', () => {
    expect(files.length).toBeGreaterThan(0)
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Namespace', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'],
    )
  })

  for (const { file, doc } of manifests) {
    it(`${file}: ${doc.kind} ${doc.metadata?.name} validates against the Kubernetes schema`, () => {
      const Model = models[`${doc.apiVersion}/${doc.kind}`]
      expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined()
      expect(() => new (Model as NonNullable<typeof Model>)(doc).validate()).not.toThrow()
    })
  }

  it('the schema check catches a malformed manifest (the validator is live)', () => {
    const broken = structuredClone(one('Deployment'))
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'cluster'
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/)
  })

  it('puts every namespaced object in the one Namespace', () => {
    const ns = one('Namespace').metadata.name
    for (const { doc } of manifests.filter((m) => m.doc.kind !== 'Namespace')) expect(doc.metadata.namespace).toBe(ns)
  })

  it('has a headless Service that selects the pods and publishes only ready ones', () => {
    const service = one('Service')
    const deployment = one('Deployment')
    const podLabels = deployment.spec.template.metadata.labels
    expect(service.spec.clusterIP).toBe('None')
    expect(service.spec.publishNotReadyAddresses).toBe(false)
    expect(subset(service.spec.selector, podLabels)).toBe(true)
    expect(subset(deployment.spec.selector.matchLabels, podLabels)).toBe(true)
    expect(subset(one('PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true)
  })

  it('agrees on the cluster port between Service, container and configuration', () => {
    const config = one('ConfigMap').data
    const container = one('Deployment').spec.template.spec.containers[0]
    const [port] = one('Service').spec.ports
    expect(port.name).toBe(config.COHORT_K8S_PORT_NAME)
    expect(one('Service').metadata.name).toBe(config.COHORT_K8S_SERVICE)
    const target = container.ports.find((p: Manifest) => p.name === port.targetPort)
    expect(target, `container port named ${port.targetPort}`).toBeDefined()
    expect(String(target.containerPort)).toBe(config.COHORT_PORT)
    expect(String(port.port)).toBe(config.COHORT_PORT)
  })

  it('grants only get/list/watch on endpointslices, bound to the pods ServiceAccount', () => {
    const role = one('Role')
    const binding = one('RoleBinding')
    const account = one('ServiceAccount')
    expect(role.rules).toEqual([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }])
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name })
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }])
    expect(one('Deployment').spec.template.spec.serviceAccountName).toBe(account.metadata.name)
  })

  it('starts the node with the allocator setting the transport recommends for large messages', () => {
    const container = one('Deployment').spec.template.spec.containers[0]
    expect(container.env.find((e: Manifest) => e.name === 'GLIBC_TUNABLES')?.value).toBe(RECOMMENDED_GLIBC_TUNABLES)
  })

  it('wires the probes to the probe server port and paths', () => {
    const config = one('ConfigMap').data
    const container = one('Deployment').spec.template.spec.containers[0]
    const probePort = container.ports.find((p: Manifest) => String(p.containerPort) === config.COHORT_PROBE_PORT)
    expect(probePort, `a container port ${config.COHORT_PROBE_PORT}`).toBeDefined()
    expect(container.livenessProbe.httpGet).toEqual({ path: '/livez', port: probePort.name })
    expect(container.startupProbe.httpGet).toEqual({ path: '/livez', port: probePort.name })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: probePort.name })
  })

  it('uses only variables the config module reads, with POD_IP from the downward API and the cookie from the Secret', () => {
    // GLIBC_TUNABLES is read by the C library, not by loadConfig (checked below).
    const known = new Set([...CONFIG_VARIABLES, ...CONFIG_VARIABLES.map((v) => `${v}_FILE`), 'GLIBC_TUNABLES'])
    const spec = one('Deployment').spec.template.spec
    const container = spec.containers[0]
    const names = [...Object.keys(one('ConfigMap').data), ...container.env.map((e: Manifest) => e.name)]
    for (const name of names) expect(known.has(name), `${name} is read by loadConfig`).toBe(true)
    const env = Object.fromEntries(container.env.map((e: Manifest) => [e.name, e]))
    expect(env.POD_IP.valueFrom.fieldRef.fieldPath).toBe('status.podIP')
    expect(env.POD_NAME.valueFrom.fieldRef.fieldPath).toBe('metadata.name')
    expect(container.envFrom).toEqual([{ configMapRef: { name: one('ConfigMap').metadata.name } }])
    const cookiePath: string = env.COHORT_COOKIE_FILE.value
    const mount = container.volumeMounts.find((m: Manifest) => cookiePath.startsWith(`${m.mountPath}/`))
    expect(mount, `a volume mounted at the directory of ${cookiePath}`).toBeDefined()
    const volume = spec.volumes.find((v: Manifest) => v.name === mount.name)
    expect(volume.secret.items).toContainEqual({ key: 'cookie', path: cookiePath.slice(mount.mountPath.length + 1) })
  })

  it('fits the shutdown sequence inside terminationGracePeriodSeconds', () => {
    const config = one('ConfigMap').data
    const spec = one('Deployment').spec.template.spec
    const preStopMs = spec.containers[0].lifecycle.preStop.sleep.seconds * 1000
    const graceMs = Number(config.COHORT_GRACE_PERIOD_MS)
    expect(Number(config.COHORT_DRAIN_DELAY_MS)).toBeLessThan(graceMs)
    expect(preStopMs + graceMs).toBeLessThan(spec.terminationGracePeriodSeconds * 1000)
  })

  it('is accepted by loadConfig as a pod would see it', async () => {
    const configMap = one('ConfigMap')
    const container = one('Deployment').spec.template.spec.containers[0]
    const direct = Object.fromEntries(container.env.filter((e: Manifest) => 'value' in e).map((e: Manifest) => [e.name, e.value]))
    const env = { ...configMap.data, ...direct, POD_IP: '10.244.1.17', POD_NAME: 'cohort-abc12', POD_NAMESPACE: configMap.metadata.namespace }
    const config = await loadConfig({
      env,
      readFile: async (path) => {
        if (path === direct.COHORT_COOKIE_FILE) return 'cookie-from-secret\n'
        throw new Error(`unexpected read of ${path}`)
      },
    })
    expect(config.node.name).toBe(`${configMap.data.COHORT_BASENAME}@10.244.1.17`)
    expect(config.discovery).toMatchObject({ strategy: 'kubernetes', service: one('Service').metadata.name, namespace: configMap.metadata.namespace })
    expect(config.probes.port).toBe(Number(configMap.data.COHORT_PROBE_PORT))
  })
})
