/**
 * kubernetes() against a fake API server over real HTTPS with its own CA, through the default node:https client and
 * real service-account files: list then watch, watch deadline and bookmarks, 410 as an ERROR event and as a status,
 * the real 403 Status, token rotation and TLS verification. Waits on discovery's events, never on sleeps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { joinCluster, kubernetes } from '@cohort/discovery'
import type { KubernetesOptions } from '@cohort/discovery'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { acceptingNode, names, nextEvent } from './cluster-harness.ts'
import { FakeApiServer } from './fake-api-server.ts'
import { makeCertificates, opensslMissing } from './test-ca.ts'
import type { TestCertificates } from './test-ca.ts'

const missing = opensslMissing()
const READY = ['chat@10.244.2.23', 'chat@10.244.3.9']
const ME = 'chat@10.244.1.17'

describe.skipIf(missing !== undefined)(`kubernetes() against a fake API server${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let certs: TestCertificates
  let api: FakeApiServer
  let saDir: string

  beforeAll(() => {
    certs = makeCertificates()
  })
  beforeEach(async () => {
    api = new FakeApiServer('token-1')
    await api.start(certs)
    saDir = await mkdtemp(join(tmpdir(), 'cohort-sa-'))
    await writeFile(join(saDir, 'token'), 'token-1\n')
    await writeFile(join(saDir, 'ca.crt'), certs.ca)
    await writeFile(join(saDir, 'namespace'), 'demo\n')
  })
  afterEach(async () => {
    await api.stop()
    await rm(saDir, { recursive: true, force: true })
  })

  const strategy = (options: Partial<KubernetesOptions> = {}) =>
    kubernetes({
      service: 'cohort-headless',
      portName: 'cluster',
      basename: 'chat',
      env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
      serviceAccountDir: saDir,
      retryInitialMs: 50,
      retryMaxMs: 200,
      ...options,
    })

  it('lists the ready endpoints, then follows the watch', async () => {
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy())
    await nextEvent(cluster, 'ready')
    expect(names(cluster)).toEqual(READY)
    expect(node.dialled.sort()).toEqual(['ws://10.244.2.23:4370', 'ws://10.244.3.9:4370'])
    expect(api.calls[0]).toMatchObject({ verb: 'list', authorization: 'Bearer token-1', query: { labelSelector: 'kubernetes.io/service-name=cohort-headless' } })
    await api.waitForCalls('watch', 1)
    expect(api.calls[1]?.query).toMatchObject({ resourceVersion: '48230', allowWatchBookmarks: 'true' })
    const slice = api.slice('cohort-headless-x7k2p') as unknown as { endpoints: Array<{ conditions: Record<string, boolean> }> }
    slice.endpoints[3] = { ...slice.endpoints[3], conditions: { ready: true, serving: true, terminating: false } } as never
    const grown = nextEvent(cluster, 'peers', (c) => c.added.length > 0)
    api.putSlice(slice as never)
    const [change] = await grown
    expect(change.added.map((p) => p.name)).toEqual(['chat@10.244.1.31'])
  })

  it('resumes a watch that ends at its timeout from the last bookmark', async () => {
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy({ watchTimeoutSeconds: 1 }))
    await nextEvent(cluster, 'ready')
    await api.waitForCalls('watch', 1)
    // a change the watch does not select moves the global version; the bookmark carries it
    api.putSlice({ metadata: { name: 'other-svc-abcde', labels: { 'kubernetes.io/service-name': 'other' } }, endpoints: null, ports: null })
    api.bookmark()
    await api.waitForCalls('watch', 2)
    const watches = api.calls.filter((c) => c.verb === 'watch')
    expect(watches.map((c) => c.query['resourceVersion'])).toEqual(['48230', '48231'])
    expect(api.calls.filter((c) => c.verb === 'list')).toHaveLength(1)
    expect(names(cluster)).toEqual(READY)
  })

  for (const goneMode of ['event', 'http'] as const) {
    it(`lists again after a 410 (${goneMode === 'event' ? 'ERROR event' : 'HTTP status'}) and replaces the state`, async () => {
      api.goneMode = goneMode
      const node = acceptingNode(ME)
      await using cluster = joinCluster(node, strategy())
      await nextEvent(cluster, 'ready')
      await api.waitForCalls('watch', 1)
      const lost = nextEvent(cluster, 'peers', (c) => c.removed.length > 0)
      api.expireHistory()
      api.deleteSlice('cohort-headless-x7k2p')
      const [change] = await lost
      expect(change.removed.map((p) => p.name).sort()).toEqual(READY)
      await api.waitForCalls('watch', 3)
      expect(api.calls.map((c) => c.verb)).toEqual(['list', 'watch', 'watch', 'list', 'watch'])
      // the new list's version: the expiry moved the counter past 48730, the delete took 48731
      expect(api.calls[4]?.query['resourceVersion']).toBe('48731')
    })
  }

  it('reports the missing RBAC rule on a 403, stays not ready, and recovers once allowed', async () => {
    api.forbid('list')
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy())
    const [error] = await nextEvent(cluster, 'lookupfailed')
    expect(error).toMatchObject({ code: 'COHORT_ERR_KUBERNETES_FORBIDDEN' })
    expect(error.message).toContain('apiGroups: ["discovery.k8s.io"]')
    expect(error.message).toContain('resources: ["endpointslices"]')
    expect(error.message).toContain('verbs: ["get", "list", "watch"]')
    expect(error.message).toContain('kind: RoleBinding')
    expect(cluster.ready).toBe(false)
    api.allow()
    await nextEvent(cluster, 'ready')
    expect(names(cluster)).toEqual(READY)
  })

  it('keeps the last known peers while the API refuses, and names the denied verb', async () => {
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy())
    await nextEvent(cluster, 'ready')
    await api.waitForCalls('watch', 1)
    api.forbid('watch')
    const failed = nextEvent(cluster, 'lookupfailed', (_e, n) => n >= 2)
    api.closeWatches()
    const [error] = await failed
    expect(error.message).toMatch(/^kubernetes API denied "watch"/)
    expect(names(cluster)).toEqual(READY)
  })

  it('re-reads a rotated token after a 401', async () => {
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy())
    await nextEvent(cluster, 'ready')
    await api.waitForCalls('watch', 1)
    api.rotateToken('token-2')
    await writeFile(join(saDir, 'token'), 'token-2\n')
    api.closeWatches()
    await api.waitForCalls('watch', 3)
    const watches = api.calls.filter((c) => c.verb === 'watch')
    expect(watches.map((c) => c.authorization)).toEqual(['Bearer token-1', 'Bearer token-1', 'Bearer token-2'])
    expect(cluster.stats().lookupFailures).toBe(0)
  })

  it('verifies the API server against ca.crt and never connects to an unknown CA', async () => {
    await writeFile(join(saDir, 'ca.crt'), makeCertificates().ca)
    const node = acceptingNode(ME)
    await using cluster = joinCluster(node, strategy())
    const [error] = await nextEvent(cluster, 'lookupfailed')
    expect(error).toMatchObject({ code: 'COHORT_ERR_DISCOVERY_UNAVAILABLE' })
    expect(error.message).toMatch(/certificate/)
    expect(cluster.ready).toBe(false)
    expect(api.calls).toEqual([])
  })
})
