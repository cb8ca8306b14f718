import { describe, expect, it } from 'vitest'
import { FakeApi } from '../../test-support/fake-api.ts'
import { fixture, watchEvents } from '../../test-support/fixtures.ts'
import { flush, testClock } from '../../test-support/virtual-time.ts'
import { runStrategy } from '../../test-support/run-strategy.ts'
import { kubernetes } from './kubernetes.ts'
import type { KubernetesOptions } from './kubernetes.ts'

const SA = '/sa'
const ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }

function files(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries({ [`${SA}/token`]: 'token-1\n', [`${SA}/ca.crt`]: 'CA', [`${SA}/namespace`]: 'demo\n', ...initial }))
  const reads: string[] = []
  return {
    map,
    reads,
    readFile: async (path: string) => {
      reads.push(path)
      const v = map.get(path)
      if (v === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' })
      return v
    },
  }
}

const sliceList = () => fixture<{ metadata: { resourceVersion: string } }>('endpointslice-list.json')
const READY = ['chat@10.244.1.17', 'chat@10.244.2.23', 'chat@10.244.3.9']

function setup(options: Partial<KubernetesOptions> = {}, fs = files()) {
  const api = new FakeApi()
  api.respond = (url) => (url.searchParams.get('watch') ? 'stream' : { status: 200, body: sliceList() })
  const clock = testClock()
  const strategy = kubernetes({
    service: 'cohort-headless',
    basename: 'chat',
    env: ENV,
    readFile: fs.readFile,
    serviceAccountDir: SA,
    http: api.http,
    ...options,
  })
  const r = runStrategy(strategy, { clock })
  return { api, fs, ...r }
}

describe('kubernetes', () => {
  it('lists the EndpointSlices of the Service and reports only ready, non-terminating endpoints', async () => {
    const { api, updates, names, run } = setup()
    await flush()
    const list = api.requests[0]
    expect(list?.url.origin).toBe('https://10.96.0.1')
    expect(list?.url.pathname).toBe('/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices')
    expect(list?.url.searchParams.get('labelSelector')).toBe('kubernetes.io/service-name=cohort-headless')
    expect(list?.authorization).toBe('Bearer token-1')
    expect(list?.ca).toBe('CA')
    expect(names()).toEqual(READY)
    expect(updates[0]?.peers[0]?.url).toBe('ws://10.244.1.17:4370')
    expect(updates[0]?.pending).toEqual(['chat@10.244.1.31', 'chat@10.244.2.40'])
    await run.stop()
  })

  it('watches from the list resourceVersion with bookmarks, applies events, and re-lists on an ERROR 410', async () => {
    const { api, names, updates, run } = setup({ watchTimeoutSeconds: 120 })
    const watch = await api.watchNumber(1, flush)
    expect(Object.fromEntries(watch.url.searchParams)).toMatchObject({
      watch: '1',
      resourceVersion: '48230',
      allowWatchBookmarks: 'true',
      timeoutSeconds: '120',
      labelSelector: 'kubernetes.io/service-name=cohort-headless',
    })
    const [added, modified, deleted, bookmark, expired] = watchEvents()
    watch.push(added)
    await flush()
    expect(names()).toEqual(READY)
    expect(updates.at(-1)?.pending).toContain('chat@10.244.3.44')
    watch.push(modified)
    await flush()
    expect(names()).toEqual([...READY, 'chat@10.244.1.31'].sort())
    watch.push(deleted)
    await flush()
    expect(updates.at(-1)?.pending).toEqual(['chat@10.244.3.44'])
    watch.push(bookmark)
    const before = updates.length
    await flush()
    expect(updates.length).toBe(before)
    watch.push(expired)
    await flush()
    // re-listed (the list replaces the state: cohort-3 is not ready there, cohort-4 is back as terminating)
    const relist = api.requests.at(-2)
    expect(relist?.url.searchParams.get('watch')).toBeNull()
    expect(relist?.url.searchParams.get('resourceVersion')).toBeNull()
    expect(names()).toEqual(READY)
    const second = await api.watchNumber(2, flush)
    expect(second.url.searchParams.get('resourceVersion')).toBe('48230')
    await run.stop()
  })

  it('resumes from the last bookmark when a watch ends at its timeout', async () => {
    const { api, run } = setup()
    const watch = await api.watchNumber(1, flush)
    watch.push(watchEvents()[3])
    watch.end()
    const next = await api.watchNumber(2, flush)
    expect(next.url.searchParams.get('resourceVersion')).toBe('48377')
    expect(api.requests.filter((r) => !r.url.searchParams.get('watch'))).toHaveLength(1)
    await run.stop()
  })

  it('pauses with backoff, without reporting a failure, when watches keep ending at once with nothing in them', async () => {
    const { api, clock, failures, run } = setup({ retryInitialMs: 1_000, retryMaxMs: 4_000 })
    const first = await api.watchNumber(1, flush)
    first.end()
    await flush()
    expect(api.watches).toHaveLength(1)
    await clock.advance(1_000)
    expect(api.watches).toHaveLength(2)
    expect(failures).toEqual([])
    await run.stop()
  })

  it('lists again when a watch answers a plain HTTP 410', async () => {
    const { api, clock, failures, run } = setup()
    await api.watchNumber(1, flush)
    const gone = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 }
    let watchCalls = 0
    api.respond = (url) =>
      url.searchParams.get('watch') ? (++watchCalls === 1 ? { status: 410, body: gone } : 'stream') : { status: 200, body: sliceList() }
    await clock.advance(5_000)
    api.watches[0]?.end()
    await api.watchNumber(2, flush)
    const kinds = api.requests.map((r) => (r.url.searchParams.get('watch') ? `watch@${r.url.searchParams.get('resourceVersion')}` : 'list'))
    expect(kinds).toEqual(['list', 'watch@48230', 'watch@48230', 'list', 'watch@48230'])
    expect(failures).toEqual([])
    await run.stop()
  })

  it('keeps the last known peers and retries with backoff when the API fails', async () => {
    const { api, clock, names, failures, run } = setup({ retryInitialMs: 1_000, retryMaxMs: 8_000 })
    const watch = await api.watchNumber(1, flush)
    api.respond = () => ({ status: 500, body: { kind: 'Status', message: 'etcd unavailable', reason: 'InternalError', code: 500 } })
    watch.error(new Error('socket hang up'))
    await flush()
    expect(failures).toHaveLength(1)
    expect(failures[0]?.message).toContain('socket hang up')
    expect(names()).toEqual(READY)
    await clock.advance(1_000)
    expect(failures).toHaveLength(2)
    expect(failures[1]).toMatchObject({ code: 'COHORT_ERR_DISCOVERY_UNAVAILABLE', httpStatus: 500 })
    expect(failures[1]?.message).toContain('etcd unavailable')
    api.respond = (url) => (url.searchParams.get('watch') ? 'stream' : { status: 200, body: sliceList() })
    await clock.advance(2_000)
    expect(api.watches).toHaveLength(2)
    expect(names()).toEqual(READY)
    await run.stop()
  })

  it('raises COHORT_ERR_KUBERNETES_FORBIDDEN with the Role rule and RoleBinding on a 403', async () => {
    const api403 = fixture('forbidden-403.json')
    const { api, failures, updates, run } = setup()
    api.respond = () => ({ status: 403, body: api403 })
    await flush()
    expect(updates).toHaveLength(0)
    expect(failures[0]).toMatchObject({ code: 'COHORT_ERR_KUBERNETES_FORBIDDEN' })
    expect(failures[0]?.message).toContain('apiGroups: ["discovery.k8s.io"]')
    expect(failures[0]?.message).toContain('resources: ["endpointslices"]')
    expect(failures[0]?.message).toContain('verbs: ["get", "list", "watch"]')
    expect(failures[0]?.message).toContain('kind: RoleBinding')
    await run.stop()
  })

  it('re-reads the token after a 401 and retries once with it', async () => {
    const fs = files()
    const { api, names, run } = setup({}, fs)
    let first = true
    api.respond = (url) => {
      if (first) {
        first = false
        fs.map.set(`${SA}/token`, 'token-2')
        return { status: 401, body: { kind: 'Status', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } }
      }
      return url.searchParams.get('watch') ? 'stream' : { status: 200, body: sliceList() }
    }
    await flush()
    expect(api.requests.map((r) => r.authorization).slice(0, 2)).toEqual(['Bearer token-1', 'Bearer token-2'])
    expect(names()).toEqual(READY)
    await run.stop()
  })

  it('re-reads a rotated token file once it is older than tokenMaxAgeMs', async () => {
    const fs = files()
    const { api, clock, run } = setup({ tokenMaxAgeMs: 60_000 }, fs)
    const watch = await api.watchNumber(1, flush)
    fs.map.set(`${SA}/token`, 'token-rotated')
    await clock.advance(60_000)
    watch.end()
    const next = await api.watchNumber(2, flush)
    expect(api.requests.at(-1)?.url).toBe(next.url)
    expect(api.requests.at(-1)?.authorization).toBe('Bearer token-rotated')
    await run.stop()
  })

  it('refuses to connect without the CA bundle, naming the missing file', async () => {
    const fs = files()
    fs.map.delete(`${SA}/ca.crt`)
    const { api, failures, run } = setup({}, fs)
    await flush()
    expect(api.requests).toHaveLength(0)
    expect(failures[0]?.message).toContain('/sa/ca.crt')
    expect(failures[0]?.message).toContain('never skipped')
    await run.stop()
  })

  it('reports a missing namespace file and retries', async () => {
    const fs = files()
    fs.map.delete(`${SA}/namespace`)
    const { failures, run } = setup({}, fs)
    await flush()
    expect(failures[0]?.message).toContain('/sa/namespace')
    await run.stop()
  })

  it('brackets an IPv6 API server address', async () => {
    const { api, run } = setup({ env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' } })
    await flush()
    expect(api.requests[0]?.url.host).toBe('[fd00:10:96::1]')
    await run.stop()
  })

  it('throws when not in a pod and no apiUrl is given', () => {
    expect(() => kubernetes({ service: 's', basename: 'chat', env: {} })).toThrow(/KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/)
  })

  it('names peers by DNS name or hostname when asked', async () => {
    const dns = setup({ nameMode: 'dns' })
    await flush()
    expect(dns.names()[0]).toBe('chat@cohort-0.cohort-headless.demo.svc.cluster.local')
    expect(dns.last()?.peers[0]?.url).toBe('ws://10.244.1.17:4370')
    await dns.run.stop()
    const host = setup({ nameMode: 'hostname', clusterDomain: 'corp.example' })
    await flush()
    expect(host.names()).toContain('chat@cohort-2.cohort-headless.demo.svc.corp.example')
    await host.run.stop()
  })

  it('uses the named port, and skips slices without it', async () => {
    const named = setup({ portName: 'cluster' })
    await flush()
    expect(named.last()?.peers[0]?.url).toBe('ws://10.244.1.17:4370')
    await named.run.stop()
    const missing = setup({ portName: 'http' })
    await flush()
    expect(missing.last()?.peers).toEqual([])
    await missing.run.stop()
    const override = setup({ portName: 'http', port: 9999 })
    await flush()
    expect(override.last()?.peers[0]?.url).toBe('ws://10.244.1.17:9999')
    await override.run.stop()
  })

  it('reads the legacy Endpoints API behind api: "endpoints"', async () => {
    const api = new FakeApi()
    api.respond = (url) => (url.searchParams.get('watch') ? 'stream' : { status: 200, body: fixture('endpoints-list.json') })
    const fs = files()
    const r = runStrategy(
      kubernetes({ service: 'cohort-headless', basename: 'chat', api: 'endpoints', env: ENV, readFile: fs.readFile, serviceAccountDir: SA, http: api.http }),
    )
    await flush()
    expect(api.requests[0]?.url.pathname).toBe('/api/v1/namespaces/demo/endpoints')
    expect(api.requests[0]?.url.searchParams.get('fieldSelector')).toBe('metadata.name=cohort-headless')
    expect(r.names()).toEqual(READY)
    expect(r.last()?.pending).toEqual(['chat@10.244.1.31'])
    await r.run.stop()
  })

  it('selects by a label selector instead of a Service', async () => {
    const { api, names, run } = setup({ service: undefined, labelSelector: 'app.kubernetes.io/name=cohort' } as Partial<KubernetesOptions>)
    await flush()
    expect(api.requests[0]?.url.searchParams.get('labelSelector')).toBe('app.kubernetes.io/name=cohort')
    expect(names()).toEqual(READY)
    await run.stop()
  })

  it('aborts the open watch on stop', async () => {
    const { api, run } = setup()
    const watch = await api.watchNumber(1, flush)
    await run.stop()
    expect(watch.aborted).toBe(true)
  })

  it('rejects bad options, naming them', () => {
    expect(() => kubernetes({ basename: 'chat', env: ENV })).toThrow(/exactly one of service or labelSelector/)
    expect(() => kubernetes({ service: 'Bad_Name', basename: 'chat', env: ENV })).toThrow(/invalid option service: "Bad_Name"/)
    expect(() => kubernetes({ service: 's', basename: 'chat', env: ENV, nameMode: 'pod' as 'ip' })).toThrow(/invalid option nameMode: "pod"/)
  })

})
