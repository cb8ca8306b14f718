/**
 * `cohort doctor` in a pod: discovery through the Kubernetes API, with an HTTP client standing in for the API server
 * (the real one is exercised by the discovery package's suites). A service account that may list but not watch
 * EndpointSlices fails the check with the RBAC fix; one that may do both passes.
 */
import type { KubernetesHttpClient } from '@cohort/discovery'
import { describe, expect, it } from 'vitest'
import { runDoctor } from './doctor-checks.ts'

const SA = '/var/run/secrets/kubernetes.io/serviceaccount'
const files: Record<string, string> = { [`${SA}/token`]: 'token', [`${SA}/ca.crt`]: 'CA', [`${SA}/namespace`]: 'demo' }
const env = {
  COHORT_COOKIE: 'doctor-k8s-cookie-0123456789',
  COHORT_DISCOVERY: 'kubernetes',
  COHORT_K8S_SERVICE: 'cohort-headless',
  COHORT_HOST: '127.0.0.1',
  COHORT_PORT: '0',
  COHORT_PROBE_PORT: '0',
  KUBERNETES_SERVICE_HOST: '10.96.0.1',
  KUBERNETES_SERVICE_PORT: '443',
}

const sliceList = {
  kind: 'EndpointSliceList',
  apiVersion: 'discovery.k8s.io/v1',
  metadata: { resourceVersion: '100' },
  items: [
    {
      metadata: { name: 'cohort-headless-abc', labels: { 'kubernetes.io/service-name': 'cohort-headless' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.2'], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: 'cluster', port: 4370, protocol: 'TCP' }],
    },
  ],
}

const forbiddenWatch = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message:
    'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:demo:cohort" cannot watch resource "endpointslices" in API group "discovery.k8s.io" in the namespace "demo"',
  reason: 'Forbidden',
  details: { group: 'discovery.k8s.io', kind: 'endpointslices' },
  code: 403,
}

function body(value: unknown): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield new TextEncoder().encode(JSON.stringify(value))
  })()
}

/** Answers the LIST; the WATCH is refused, or held open until aborted (no change to report). */
function api(watch: 'forbidden' | 'allowed'): KubernetesHttpClient {
  return async (req) => {
    if (req.url.searchParams.get('watch') === null) return { status: 200, headers: { 'content-type': 'application/json' }, body: body(sliceList) }
    if (watch === 'forbidden') return { status: 403, headers: { 'content-type': 'application/json' }, body: body(forbiddenWatch) }
    const open: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>((resolve) => req.signal.addEventListener('abort', () => resolve({ done: true, value: undefined }))),
      }),
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: open }
  }
}

const readFile = async (path: string): Promise<string> => {
  const v = files[path]
  if (v === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
  return v
}

describe('cohort doctor with kubernetes discovery', () => {
  it('fails a service account that may list but not watch EndpointSlices, naming the rule to add', async () => {
    const checks = await runDoctor({ env, readFile, timeoutMs: 3_000, strategyOptions: { kubernetes: { http: api('forbidden') } } })
    const discovery = checks.find((c) => c.check === 'discovery')
    expect(discovery).toMatchObject({ ok: false, fix: expect.stringContaining('list and watch on endpointslices') })
    expect(discovery?.detail).toMatch(/watch/)
  })

  it('passes one that may list and watch them', async () => {
    const checks = await runDoctor({ env, readFile, timeoutMs: 3_000, strategyOptions: { kubernetes: { http: api('allowed') } } })
    expect(checks.find((c) => c.check === 'discovery')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('1 peer (cohort@127.0.0.2); the service account may list and watch EndpointSlices'),
    })
  })
})
