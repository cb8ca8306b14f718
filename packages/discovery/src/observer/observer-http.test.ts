import { createActorSystem, supervisor } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { startProbeServer } from '../probe-server.ts'
import { observerChild } from './cluster-observer.ts'
import type { ClusterReport } from './observer-report.ts'

async function withObserver(run: boolean) {
  const system = createActorSystem({ node: 'web@127.0.0.1' })
  if (run) await system.start(supervisor({ name: 'root', children: [observerChild(system)] }))
  const probes = await startProbeServer({ port: 0, host: '127.0.0.1', metrics: { defaultMetrics: false }, observer: { system, timeoutMs: 1000 } })
  return {
    system,
    probes,
    async [Symbol.asyncDispose]() {
      await probes.close()
      await system.shutdown()
    },
  }
}

describe('observerRequestHandler (through startProbeServer)', () => {
  it('serves the page at /observer and the cluster report beside it', async () => {
    await using env = await withObserver(true)
    const page = await fetch(`${env.probes.url}/observer`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<title>Cohort observer</title>')
    expect(html).toContain("location.pathname.replace(/\\/$/, '') + '/cluster.json'")
    const res = await fetch(`${env.probes.url}/observer/cluster.json`)
    expect(res.status).toBe(200)
    const report = (await res.json()) as ClusterReport
    expect(report.observedFrom).toBe('web@127.0.0.1')
    expect(report.nodes.map((n) => [n.node, n.tree.map((t) => t.id)])).toEqual([['web@127.0.0.1', ['observer']]])
  })

  it('keeps answering the probes, and says what is wrong when the node runs no observer', async () => {
    await using env = await withObserver(false)
    const res = await fetch(`${env.probes.url}/observer/cluster.json`)
    expect(res.status).toBe(503)
    expect(await res.text()).toMatch(/^the observer of web@127\.0\.0\.1 did not answer: /)
    expect((await fetch(`${env.probes.url}/livez`)).status).toBe(200)
  })

  it('refuses methods other than GET and HEAD, and leaves other paths to the server', async () => {
    await using env = await withObserver(true)
    const post = await fetch(`${env.probes.url}/observer`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(await post.text()).toBe('method not allowed: the observer answers GET\n')
    const other = await fetch(`${env.probes.url}/observers`)
    expect(other.status).toBe(404)
    expect(await other.text()).toBe('not found: try /livez, /readyz, /metrics or /observer\n')
  })
})
