/**
 * deploy/k8s/: every manifest validates against the Kubernetes schemas (kubernetes-models, offline), and for each
 * app (chat, cache) names, ports, labels, selectors, RBAC, probes, the downward API and the shutdown timing agree
 * with each other, with @cohort/discovery's config module and the app's own (their variable names, and the config
 * loaders accepting the values), and with the Dockerfile (the image's user and the command it holds).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CACHE_CONFIG_VARIABLES, loadCacheConfig } from '@cohort/cache'
import { CHAT_CONFIG_VARIABLES, loadChatConfig } from '@cohort/chat'
import { CONFIG_VARIABLES, loadConfig } from '@cohort/discovery'
import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
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
import { imageHolds, lastOf, readDockerfile } from '../support/dockerfile.ts'

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

function one(kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.name === name))
  expect(found, `exactly one ${kind}${name === undefined ? '' : ` named ${name}`} in deploy/k8s`).toHaveLength(1)
  return found[0]?.doc
}

const repo = fileURLToPath(new URL('../../', import.meta.url))
const dockerfile = readDockerfile(`${repo}Dockerfile`)
/** The uid of the image's user (`node` in the Node images). */
const IMAGE_USERS: Record<string, number> = { node: 1000 }

const APPS = {
  chat: { variables: CHAT_CONFIG_VARIABLES, load: loadChatConfig, ports: ['cluster', 'http'] },
  cache: { variables: CACHE_CONFIG_VARIABLES, load: loadCacheConfig, ports: ['cluster', 'http', 'redis'] },
} as const

const subset = (small: Record<string, string>, big: Record<string, string>): boolean =>
  Object.entries(small).every(([k, v]) => big[k] === v)

describe('deploy/k8s manifests', () => {
  it('parse as YAML and hold a Deployment, a headless Service and a PodDisruptionBudget per app, sharing the rest', () => {
    expect(files.length).toBeGreaterThan(0)
    expect(manifests.map((m) => `${m.doc.kind} ${m.doc.metadata.name}`).sort()).toEqual([
      'ConfigMap cohort-config', 'Deployment cache', 'Deployment chat', 'Namespace cohort',
      'PodDisruptionBudget cache', 'PodDisruptionBudget chat', 'Role cohort-discovery', 'RoleBinding cohort-discovery',
      'Service cache-headless', 'Service chat-headless', 'ServiceAccount cohort',
    ])
  })

  for (const { file, doc } of manifests) {
    it(`${file}: ${doc.kind} ${doc.metadata?.name} validates against the Kubernetes schema`, () => {
      const Model = models[`${doc.apiVersion}/${doc.kind}`]
      expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined()
      expect(() => new (Model as NonNullable<typeof Model>)(doc).validate()).not.toThrow()
    })
  }

  it('the schema check catches a malformed manifest (the validator is live)', () => {
    const broken = structuredClone(one('Deployment', 'chat'))
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'cluster'
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort/)
  })

  it('puts every namespaced object in the one Namespace', () => {
    const ns = one('Namespace').metadata.name
    for (const { doc } of manifests.filter((m) => m.doc.kind !== 'Namespace')) expect(doc.metadata.namespace).toBe(ns)
  })

  it('grants only get/list/watch on endpointslices, bound to the ServiceAccount every app runs as', () => {
    const role = one('Role')
    const binding = one('RoleBinding')
    const account = one('ServiceAccount')
    expect(role.rules).toEqual([{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }])
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name })
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }])
    for (const app of Object.keys(APPS)) expect(one('Deployment', app).spec.template.spec.serviceAccountName).toBe(account.metadata.name)
  })

  for (const [app, spec] of Object.entries(APPS)) {
    describe(app, () => {
      const deployment = (): Manifest => one('Deployment', app)
      const container = (): Manifest => deployment().spec.template.spec.containers[0]
      const service = (): Manifest => one('Service', `${app}-headless`)
      const env = (): Record<string, Manifest> => Object.fromEntries(container().env.map((e: Manifest) => [e.name, e]))
      /** What the pod's environment holds: the shared ConfigMap, then the container's own values. */
      const podEnv = (): Record<string, string> => ({
        ...one('ConfigMap').data,
        ...Object.fromEntries(container().env.filter((e: Manifest) => 'value' in e).map((e: Manifest) => [e.name, e.value])),
      })

      it('has a headless Service that selects only its pods and publishes only ready ones', () => {
        const podLabels = deployment().spec.template.metadata.labels
        expect(service().spec.clusterIP).toBe('None')
        expect(service().spec.publishNotReadyAddresses).toBe(false)
        expect(subset(service().spec.selector, podLabels)).toBe(true)
        expect(subset(deployment().spec.selector.matchLabels, podLabels)).toBe(true)
        expect(subset(one('PodDisruptionBudget', app).spec.selector.matchLabels, podLabels)).toBe(true)
        const other = Object.keys(APPS).find((a) => a !== app)!
        expect(subset(service().spec.selector, one('Deployment', other).spec.template.metadata.labels), 'no pod of the other app').toBe(false)
      })

      it('agrees on every port between Service, container and configuration', () => {
        const config = podEnv()
        expect(container().ports.map((p: Manifest) => p.name)).toEqual(spec.ports)
        for (const port of service().spec.ports) {
          const target = container().ports.find((p: Manifest) => p.name === port.targetPort)
          expect(target, `container port named ${port.targetPort}`).toBeDefined()
          expect(port.port).toBe(target.containerPort)
        }
        const cluster = service().spec.ports.find((p: Manifest) => p.name === config['COHORT_K8S_PORT_NAME'])
        expect(service().metadata.name).toBe(config['COHORT_K8S_SERVICE'])
        expect(String(cluster.port)).toBe(config['COHORT_PORT'])
        const http = container().ports.find((p: Manifest) => p.name === 'http')
        expect(String(http.containerPort)).toBe(config['HTTP_PORT'] ?? config['COHORT_PROBE_PORT'])
        if (app === 'cache') expect(String(container().ports.find((p: Manifest) => p.name === 'redis').containerPort)).toBe(config['REDIS_PORT'])
      })

      it('wires the probes to the HTTP port and paths', () => {
        expect(container().livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' })
        expect(container().startupProbe.httpGet).toEqual({ path: '/livez', port: 'http' })
        expect(container().readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' })
      })

      it('starts the node with the allocator setting the transport recommends for large messages', () => {
        expect(env()['GLIBC_TUNABLES']?.value).toBe(RECOMMENDED_GLIBC_TUNABLES)
      })

      it("uses only variables loadConfig or the app's config reads, POD_IP from the downward API, secrets from Secrets", () => {
        // GLIBC_TUNABLES is read by the C library, not by the config modules (checked above).
        const read = [...CONFIG_VARIABLES, ...spec.variables]
        const known = new Set([...read, ...read.map((v) => `${v}_FILE`), 'GLIBC_TUNABLES'])
        for (const name of Object.keys(podEnv())) expect(known.has(name), `${name} is read by the ${app} node`).toBe(true)
        expect(env()['POD_IP'].valueFrom.fieldRef.fieldPath).toBe('status.podIP')
        expect(env()['POD_NAME'].valueFrom.fieldRef.fieldPath).toBe('metadata.name')
        expect(container().envFrom).toEqual([{ configMapRef: { name: one('ConfigMap').metadata.name } }])
        expect(env()['COHORT_COOKIE_FILE'], 'the cookie comes from a file').toBeDefined()
        // Every file a variable names (the cookie, the cache's password) is a Secret's key, mounted at its directory.
        for (const [name, variable] of Object.entries(env()).filter(([n]) => n.endsWith('_FILE'))) {
          const path: string = (variable as Manifest).value
          const mount = container().volumeMounts.find((m: Manifest) => path.startsWith(`${m.mountPath}/`))
          expect(mount, `${name}: a volume mounted at the directory of ${path}`).toBeDefined()
          const volume = deployment().spec.template.spec.volumes.find((v: Manifest) => v.name === mount.name)
          const file = path.slice(mount.mountPath.length + 1)
          expect(volume.secret.items.map((i: Manifest) => i.path), name).toContain(file)
        }
      })

      it('fits the shutdown sequence inside terminationGracePeriodSeconds', () => {
        const config = podEnv()
        const pod = deployment().spec.template.spec
        const preStopMs = pod.containers[0].lifecycle.preStop.sleep.seconds * 1000
        const graceMs = Number(config['COHORT_GRACE_PERIOD_MS'])
        expect(Number(config['COHORT_DRAIN_DELAY_MS'])).toBeLessThan(graceMs)
        expect(preStopMs + graceMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1000)
      })

      it('runs the image the Dockerfile builds: its user, and a command it holds and has built', () => {
        const final = dockerfile.stages.at(-1)!
        expect(deployment().spec.template.spec.securityContext.runAsUser).toBe(IMAGE_USERS[lastOf(final, 'USER')!])
        const command: string[] = container().command
        expect(command).toEqual(['node', ...RECOMMENDED_NODE_FLAGS, `apps/${app}/dist/main.js`])
        const script = command.at(-1)!
        expect(existsSync(`${repo}${script}`), `${script} is built`).toBe(true)
        expect(imageHolds(dockerfile, script)).toBe(true)
      })

      it("is accepted by the app's config loader as a pod would see it", async () => {
        const configMap = one('ConfigMap')
        const direct = podEnv()
        const config = await spec.load({
          env: { ...direct, POD_IP: '10.244.1.17', POD_NAME: `${app}-abc12`, POD_NAMESPACE: configMap.metadata.namespace },
          readFile: async (path: string) => {
            if (path === direct['COHORT_COOKIE_FILE']) return 'cookie-from-secret\n'
            if (path === direct['CACHE_PASSWORD_FILE']) return 'password-from-secret\n'
            throw new Error(`unexpected read of ${path}`)
          },
        })
        expect(config.cohort.node.name).toBe(`${app}@10.244.1.17`)
        // The cache's ports are open to every pod: its manifest gives it a password, from a Secret of its own.
        if ('cache' in config) expect(config.cache.password).toBe('password-from-secret')
        // Every chat node keeps every room's history: the rooms it may hold, each at its measured most, fit in a
        // third of the container's memory (chat README, FAQ: how much memory).
        if ('chat' in config) {
          const limit = parseQuantity(String(container().resources.limits.memory))
          expect(config.chat.maxRooms * ROOM_HISTORY_MOST_BYTES).toBeLessThanOrEqual(limit / 3)
        }
        // Writes are refused before the container's memory runs out: its data set may take half the limit at most.
        if ('cache' in config) {
          const limit = parseQuantity(String(container().resources.limits.memory))
          expect(config.cache.maxMemoryBytes).toBeGreaterThan(0)
          expect(config.cache.maxMemoryBytes).toBeLessThanOrEqual(limit / 2)
        }
        expect(config.cohort.discovery).toMatchObject({ strategy: 'kubernetes', service: service().metadata.name, namespace: configMap.metadata.namespace })
      })
    })
  }
})

/**
 * The most memory one room's history took (heap and its byte arena), measured with the chat's history bounds (texts of
 * two-byte characters; apps/chat's history-records.test.ts holds the arena to it).
 */
const ROOM_HISTORY_MOST_BYTES = 83_000

/** A Kubernetes memory quantity in bytes (`512Mi`, `1Gi`, `500M`). */
function parseQuantity(text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(text)
  if (match === null) throw new Error(`not a memory quantity: ${text}`)
  const units: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, K: 1e3, M: 1e6, G: 1e9 }
  return Number(match[1]) * units[match[2] ?? '']!
}
