import { describe, expect, it } from 'vitest'
import { runStrategy } from '../../test-support/run-strategy.ts'
import { flush } from '../../test-support/virtual-time.ts'
import type { DnsResolver } from './dns-resolver.ts'
import { dnsSrv } from './dns-srv.ts'

type Srv = { name: string; port: number; priority: number; weight: number }

function resolverOf(answer: () => Srv[] | Error): DnsResolver {
  return {
    resolve4: async () => [],
    resolve6: async () => [],
    resolveSrv: async () => {
      const a = answer()
      if (a instanceof Error) throw a
      return a
    },
  }
}

describe('dnsSrv', () => {
  it('names each SRV target basename@target and dials it on its own port', async () => {
    const resolver = resolverOf(() => [
      { name: 'cohort-1.cohort-headless.demo.svc.cluster.local', port: 4371, priority: 0, weight: 50 },
      { name: 'cohort-0.cohort-headless.demo.svc.cluster.local', port: 4370, priority: 0, weight: 50 },
    ])
    const r = runStrategy(dnsSrv({ query: '_cluster._tcp.cohort-headless.demo.svc.cluster.local', basename: 'chat', resolver }))
    await flush()
    expect(r.last()?.peers).toEqual([
      { name: 'chat@cohort-0.cohort-headless.demo.svc.cluster.local', url: 'ws://cohort-0.cohort-headless.demo.svc.cluster.local:4370' },
      { name: 'chat@cohort-1.cohort-headless.demo.svc.cluster.local', url: 'ws://cohort-1.cohort-headless.demo.svc.cluster.local:4371' },
    ])
    await r.run.stop()
  })

  it('keeps one URL per target: lowest priority, then lowest port; a trailing dot is dropped', async () => {
    const resolver = resolverOf(() => [
      { name: 'a.example.', port: 9000, priority: 10, weight: 1 },
      { name: 'a.example', port: 4372, priority: 0, weight: 1 },
      { name: 'a.example', port: 4371, priority: 0, weight: 1 },
    ])
    const r = runStrategy(dnsSrv({ query: 'q', basename: 'chat', resolver, scheme: 'wss' }))
    await flush()
    expect(r.last()?.peers).toEqual([{ name: 'chat@a.example', url: 'wss://a.example:4371' }])
    await r.run.stop()
  })

  it('reports NXDOMAIN as a failure and keeps the last set', async () => {
    let answer: Srv[] | Error = [{ name: 'a.example', port: 1, priority: 0, weight: 1 }]
    const r = runStrategy(dnsSrv({ query: 'q', basename: 'chat', resolver: resolverOf(() => answer), intervalMs: 1_000 }))
    await flush()
    answer = Object.assign(new Error('querySrv ENOTFOUND q'), { code: 'ENOTFOUND' })
    await r.clock.advance(1_000)
    expect(r.updates).toHaveLength(1)
    expect(r.failures).toHaveLength(1)
    expect(r.failures[0]?.message).toContain('ENOTFOUND')
    await r.run.stop()
  })
})
