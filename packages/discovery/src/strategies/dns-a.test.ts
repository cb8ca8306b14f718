import { describe, expect, it } from 'vitest'
import { runStrategy } from '../../test-support/run-strategy.ts'
import { flush } from '../../test-support/virtual-time.ts'
import { dnsA } from './dns-a.ts'
import type { DnsResolver } from './dns-resolver.ts'

const dnsError = (code: string): Error => Object.assign(new Error(`query ${code} chat`), { code })

/** A resolver whose answers the test sets per family. */
function fakeResolver() {
  const answers: { 4: string[] | Error; 6: string[] | Error } = { 4: [], 6: dnsError('ENODATA') }
  const resolver: DnsResolver & { cancelled: number } = {
    cancelled: 0,
    resolve4: async () => {
      const a = answers[4]
      if (a instanceof Error) throw a
      return a
    },
    resolve6: async () => {
      const a = answers[6]
      if (a instanceof Error) throw a
      return a
    },
    resolveSrv: async () => [],
    cancel() {
      this.cancelled++
    },
  }
  return { resolver, answers }
}

describe('dnsA', () => {
  it('names every A and AAAA record basename@ip and dials ws://ip:port, IPv6 bracketed', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = ['10.0.0.6', '10.0.0.5']
    answers[6] = ['fd00::7']
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver }))
    await flush()
    expect(r.last()?.peers).toEqual([
      { name: 'chat@10.0.0.5', url: 'ws://10.0.0.5:4370' },
      { name: 'chat@10.0.0.6', url: 'ws://10.0.0.6:4370' },
      { name: 'chat@fd00::7', url: 'ws://[fd00::7]:4370' },
    ])
    await r.run.stop()
  })

  it('follows changes at every interval', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = ['10.0.0.5']
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver, intervalMs: 1_000 }))
    await flush()
    answers[4] = ['10.0.0.5', '10.0.0.9']
    await r.clock.advance(1_000)
    expect(r.names()).toEqual(['chat@10.0.0.5', 'chat@10.0.0.9'])
    answers[4] = ['10.0.0.9']
    await r.clock.advance(1_000)
    expect(r.names()).toEqual(['chat@10.0.0.9'])
    await r.run.stop()
  })

  it('reports NXDOMAIN (no pod ready) as a failure, never as an empty set', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = ['10.0.0.5']
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver, intervalMs: 1_000 }))
    await flush()
    answers[4] = dnsError('ENOTFOUND')
    answers[6] = dnsError('ENOTFOUND')
    await r.clock.advance(1_000)
    expect(r.updates).toHaveLength(1)
    expect(r.failures[0]).toMatchObject({ code: 'COHORT_ERR_DISCOVERY_UNAVAILABLE', strategy: 'dnsA' })
    expect(r.failures[0]?.message).toContain('ENOTFOUND')
    await r.run.stop()
  })

  it('fails the whole lookup when one family errors, so peers of the other are not dropped', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = ['10.0.0.5']
    answers[6] = dnsError('ETIMEOUT')
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver }))
    await flush()
    expect(r.updates).toHaveLength(0)
    expect(r.failures[0]?.message).toContain('ETIMEOUT')
    await r.run.stop()
  })

  it('treats NODATA for every family as a real empty answer', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = dnsError('ENODATA')
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver }))
    await flush()
    expect(r.updates).toEqual([{ peers: [] }])
    await r.run.stop()
  })

  it('asks only the families given', async () => {
    const { resolver, answers } = fakeResolver()
    answers[4] = ['10.0.0.5']
    answers[6] = dnsError('ESERVFAIL')
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver, families: [4] }))
    await flush()
    expect(r.names()).toEqual(['chat@10.0.0.5'])
    await r.run.stop()
  })

  it('cancels the resolver when a lookup times out', async () => {
    const resolver: DnsResolver & { cancelled: number } = {
      cancelled: 0,
      resolve4: () => new Promise(() => {}),
      resolve6: () => new Promise(() => {}),
      resolveSrv: async () => [],
      cancel() {
        this.cancelled++
      },
    }
    const r = runStrategy(dnsA({ query: 'chat', port: 4370, basename: 'chat', resolver, timeoutMs: 500 }))
    await r.clock.advance(500)
    expect(resolver.cancelled).toBe(1)
    expect(r.failures[0]?.message).toBe('lookup timed out after 500 ms')
    await r.run.stop()
  })

  it('rejects bad options, naming them', () => {
    expect(() => dnsA({ query: '', port: 1, basename: 'a' })).toThrow(/invalid option query: ""/)
    expect(() => dnsA({ query: 'q', port: 70000, basename: 'a' })).toThrow(/invalid option port: 70000/)
    expect(() => dnsA({ query: 'q', port: 1, basename: 'a', intervalMs: -1 })).toThrow(/invalid option intervalMs: -1/)
    expect(() => dnsA({ query: 'q', port: 1, basename: 'a', families: [5 as 4] })).toThrow(/invalid option families/)
  })
})
