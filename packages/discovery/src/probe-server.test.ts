import { describe, expect, it } from 'vitest'
import { startProbeServer } from './probe-server.ts'

async function get(url: string) {
  const res = await fetch(url)
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') }
}

describe('startProbeServer', () => {
  it('answers /livez from isAlive', async () => {
    let alive = true
    await using probes = await startProbeServer({ port: 0, host: '127.0.0.1', isAlive: () => alive, metrics: { defaultMetrics: false } })
    expect(await get(`${probes.url}/livez`)).toMatchObject({ status: 200, body: 'ok\n' })
    alive = false
    expect(await get(`${probes.url}/livez`)).toMatchObject({ status: 503, body: 'not alive: the root supervisor has exited\n' })
  })

  it('is ready only when listening, joined and not shutting down, and says what is missing', async () => {
    let listening = false
    const cluster = { ready: false }
    await using probes = await startProbeServer({ port: 0, host: '127.0.0.1', isListening: () => listening, cluster, metrics: { defaultMetrics: false } })
    expect(await get(`${probes.url}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: node not listening; not joined: discovery has not succeeded yet\n',
    })
    listening = true
    cluster.ready = true
    expect(await get(`${probes.url}/readyz`)).toMatchObject({ status: 200 })
    probes.setNotReady()
    expect(await get(`${probes.url}/readyz`)).toMatchObject({ status: 503, body: 'not ready: shutting down\n' })
  })

  it('says why a joined but cut-off node is not ready', async () => {
    const cluster = { ready: false, notReadyReason: 'cut off: every peer refused' }
    await using probes = await startProbeServer({ port: 0, host: '127.0.0.1', cluster, metrics: { defaultMetrics: false } })
    expect(await get(`${probes.url}/readyz`)).toMatchObject({ status: 503, body: 'not ready: cut off: every peer refused\n' })
  })

  it('adds the app readiness checks, each named in the 503 body', async () => {
    let poolReady = false
    await using probes = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      readinessChecks: { 'pg pool': () => poolReady, cache: () => true },
      metrics: { defaultMetrics: false },
    })
    expect(await get(`${probes.url}/readyz`)).toMatchObject({ status: 503, body: 'not ready: pg pool not ready\n' })
    poolReady = true
    expect(await get(`${probes.url}/readyz`)).toMatchObject({ status: 200, body: 'ok\n' })
  })

  it('refuses a readiness check that is not a function, naming it', async () => {
    await expect(startProbeServer({ port: 0, readinessChecks: { pool: true as unknown as () => boolean } })).rejects.toThrow(
      'invalid option readinessChecks.pool',
    )
  })

  it('reports a throwing check as a failure', async () => {
    await using probes = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      isAlive: () => {
        throw new Error('boom')
      },
      metrics: { defaultMetrics: false },
    })
    expect((await get(`${probes.url}/livez`)).status).toBe(503)
  })

  it('serves Prometheus text from the injected sources on its own registry', async () => {
    await using probes = await startProbeServer({
      port: 0,
      host: '127.0.0.1',
      metrics: {
        defaultMetrics: false,
        topMailboxes: 2,
        transport: {
          stats: () => ({
            peers: [{ node: 'chat@10.0.0.2', messagesIn: 5, messagesOut: 7, bytesIn: 500, bytesOut: 700 }],
            handshakeFailures: { cookie: 3, unreachable: 2 },
          }),
        },
        processes: {
          processes: () => [
            { pid: '<chat@10.0.0.1.1>', mailboxDepth: 3 },
            { pid: { toString: () => '<chat@10.0.0.1.2>' }, mailboxDepth: 40 },
            { pid: '<chat@10.0.0.1.3>', mailboxDepth: 1 },
          ],
        },
        restarts: { restarts: () => 4 },
        discovery: { stats: () => ({ lookupFailures: 2, members: 3, connected: 1 }) },
      },
    })
    const { status, body, type } = await get(`${probes.url}/metrics`)
    expect(status).toBe(200)
    expect(type).toContain('text/plain')
    expect(body).toContain('cohort_connected_peers 1')
    expect(body).toContain('cohort_peer_messages_in_total{peer="chat@10.0.0.2"} 5')
    expect(body).toContain('cohort_peer_messages_out_total{peer="chat@10.0.0.2"} 7')
    expect(body).toContain('cohort_peer_bytes_in_total{peer="chat@10.0.0.2"} 500')
    expect(body).toContain('cohort_peer_bytes_out_total{peer="chat@10.0.0.2"} 700')
    expect(body).toContain('cohort_handshake_failures_total{reason="cookie"} 3')
    expect(body).toContain('cohort_handshake_failures_total{reason="unreachable"} 2')
    expect(body).toContain('cohort_mailbox_depth{pid="<chat@10.0.0.1.2>"} 40')
    expect(body).toContain('cohort_mailbox_depth{pid="<chat@10.0.0.1.1>"} 3')
    expect(body).not.toContain('<chat@10.0.0.1.3>')
    expect(body).toContain('cohort_restarts_total 4')
    expect(body).toContain('cohort_discovery_errors_total 2')
    expect(body).toContain('cohort_discovery_members{state="connected"} 1')
    // a second scrape reflects new values, not accumulated ones
    expect((await get(`${probes.url}/metrics`)).body).toContain('cohort_restarts_total 4')
  })

  it('includes process metrics by default and keeps two servers apart', async () => {
    await using a = await startProbeServer({ port: 0, host: '127.0.0.1' })
    await using b = await startProbeServer({ port: 0, host: '127.0.0.1' })
    expect((await get(`${a.url}/metrics`)).body).toContain('process_cpu_user_seconds_total')
    expect(a.registry).not.toBe(b.registry)
  })

  it('answers 404 elsewhere and closes idempotently', async () => {
    const probes = await startProbeServer({ port: 0, host: '127.0.0.1', metrics: { defaultMetrics: false } })
    expect((await get(`${probes.url}/nope`)).status).toBe(404)
    await Promise.all([probes.close(), probes.close()])
    await expect(fetch(`${probes.url}/livez`)).rejects.toThrow()
  })

  it('rejects a probe port in use with an error that names the probe port and the fix', async () => {
    await using first = await startProbeServer({ port: 0, host: '127.0.0.1', metrics: { defaultMetrics: false } })
    await expect(startProbeServer({ port: first.port, host: '127.0.0.1', metrics: { defaultMetrics: false } })).rejects.toMatchObject({
      name: 'ProbePortInUseError',
      code: 'COHORT_ERR_ADDRESS_IN_USE',
      message: expect.stringMatching(new RegExp(`probes .* on 127\\.0\\.0\\.1:${first.port}.*--probe-port`)),
    })
  })

  it('rejects a bad port, naming it', async () => {
    await expect(startProbeServer({ port: 70_000 })).rejects.toThrow(/invalid option port: 70000/)
  })
})
