import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { probeRequestHandler } from './probe-handler.ts'

/** An app's own server on 127.0.0.1:0 that answers the probes through the handler and everything else itself. */
async function appServer(probes: ReturnType<typeof probeRequestHandler>): Promise<{ url: string; [Symbol.asyncDispose](): Promise<void> }> {
  const server = createServer((req, res) => {
    void probes.handle(req, res).then((answered) => {
      if (!answered) res.end(`app: ${req.url}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function get(url: string, method = 'GET') {
  const res = await fetch(url, { method })
  return { status: res.status, body: await res.text() }
}

describe('probeRequestHandler', () => {
  it("answers the probes on the app's own server and leaves every other path to the app", async () => {
    let alive = true
    const cluster = { ready: false, notReadyReason: 'not joined: discovery has not succeeded yet' }
    const probes = probeRequestHandler({ isAlive: () => alive, cluster, metrics: { defaultMetrics: false } })
    await using app = await appServer(probes)
    expect(await get(`${app.url}/`)).toEqual({ status: 200, body: 'app: /' })
    expect(await get(`${app.url}/rooms/x?livez`)).toEqual({ status: 200, body: 'app: /rooms/x?livez' })
    expect(await get(`${app.url}/livez`)).toEqual({ status: 200, body: 'ok\n' })
    alive = false
    expect(await get(`${app.url}/livez`)).toMatchObject({ status: 503 })
    expect(await get(`${app.url}/readyz`)).toEqual({ status: 503, body: 'not ready: not joined: discovery has not succeeded yet\n' })
    cluster.ready = true
    expect(await get(`${app.url}/readyz`)).toEqual({ status: 200, body: 'ok\n' })
    probes.setNotReady()
    expect(await get(`${app.url}/readyz`)).toEqual({ status: 503, body: 'not ready: shutting down\n' })
    expect(await get(`${app.url}/readyz`, 'POST')).toEqual({ status: 405, body: 'method not allowed\n' })
  })

  it("serves the app's own metrics from its registry", async () => {
    const probes = probeRequestHandler({ metrics: { defaultMetrics: false, restarts: { restarts: () => 3 } } })
    const { Counter } = await import('prom-client')
    new Counter({ name: 'app_things_total', help: 'things', registers: [probes.registry] }).inc(2)
    await using app = await appServer(probes)
    const metrics = await get(`${app.url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(metrics.body).toContain('cohort_restarts_total 3')
    expect(metrics.body).toContain('app_things_total 2')
  })

  it('refuses a readiness check that is not a function, naming it', () => {
    expect(() => probeRequestHandler({ readinessChecks: { pool: 'yes' as unknown as () => boolean } })).toThrow(/readinessChecks\.pool/)
  })
})
