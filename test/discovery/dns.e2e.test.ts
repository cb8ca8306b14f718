/**
 * DNS strategies against a real DNS server (dnsmasq) serving Kubernetes-shaped records, through a real
 * dns.promises.Resolver. Waits on discovery's own events, never on sleeps.
 */
import { dnsA, dnsSrv, joinCluster } from '@cohort/discovery'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dnsmasqMissing, startDnsmasq } from '../support/dnsmasq.ts'
import type { Dnsmasq } from '../support/dnsmasq.ts'
import { acceptingNode, names, nextEvent } from './cluster-harness.ts'

const missing = dnsmasqMissing()
const SVC = 'cohort-headless.demo.svc.cluster.local'
const SRV = `_cluster._tcp.${SVC}`

describe.skipIf(missing !== undefined)(`DNS discovery against dnsmasq${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dnsmasq: Dnsmasq
  beforeEach(async () => {
    dnsmasq = await startDnsmasq()
  })
  afterEach(async () => {
    await dnsmasq.stop()
  })

  it('dnsA: peers appear as their pods become ready', async () => {
    await dnsmasq.setHosts([['10.244.1.17', SVC]])
    const node = acceptingNode('chat@10.244.1.17')
    await using cluster = joinCluster(node, dnsA({ query: SVC, port: 4370, basename: 'chat', intervalMs: 100, resolver: dnsmasq.resolver() }))
    await nextEvent(cluster, 'ready')
    expect(names(cluster)).toEqual([])
    const grown = nextEvent(cluster, 'peers', (c) => c.peers.length === 2)
    await dnsmasq.setHosts([
      ['10.244.1.17', SVC],
      ['10.244.2.23', SVC],
      ['10.244.3.9', SVC],
    ])
    await grown
    expect(names(cluster)).toEqual(['chat@10.244.2.23', 'chat@10.244.3.9'])
    expect(node.dialled.sort()).toEqual(['ws://10.244.2.23:4370', 'ws://10.244.3.9:4370'])
  })

  it('dnsA: a peer disappears when its record goes', async () => {
    await dnsmasq.setHosts([
      ['10.244.1.17', SVC],
      ['10.244.2.23', SVC],
      ['fd00::9', SVC],
    ])
    const node = acceptingNode('chat@10.244.1.17')
    await using cluster = joinCluster(node, dnsA({ query: SVC, port: 4370, basename: 'chat', intervalMs: 100, resolver: dnsmasq.resolver() }))
    await nextEvent(cluster, 'peers', (c) => c.peers.length === 2)
    expect(cluster.members().map((m) => m.url).sort()).toEqual(['ws://10.244.2.23:4370', 'ws://[fd00::9]:4370'])
    const shrunk = nextEvent(cluster, 'peers', (c) => c.removed.length > 0)
    await dnsmasq.setHosts([
      ['10.244.1.17', SVC],
      ['fd00::9', SVC],
    ])
    const [change] = await shrunk
    expect(change.removed.map((p) => p.name)).toEqual(['chat@10.244.2.23'])
    expect(names(cluster)).toEqual(['chat@fd00::9'])
  })

  it('dnsA: NXDOMAIN when no pod is ready keeps the last known set', async () => {
    await dnsmasq.setHosts([
      ['10.244.1.17', SVC],
      ['10.244.2.23', SVC],
    ])
    const node = acceptingNode('chat@10.244.1.17')
    await using cluster = joinCluster(node, dnsA({ query: SVC, port: 4370, basename: 'chat', intervalMs: 100, retryInitialMs: 100, retryMaxMs: 200, resolver: dnsmasq.resolver() }))
    await nextEvent(cluster, 'peers', (c) => c.peers.length === 1)
    const failed = nextEvent(cluster, 'lookupfailed', (_e, n) => n >= 2)
    await dnsmasq.setHosts([])
    const [error] = await failed
    expect(error).toMatchObject({ code: 'COHORT_ERR_DISCOVERY_UNAVAILABLE' })
    expect(error.message).toContain('ENOTFOUND')
    expect(names(cluster)).toEqual(['chat@10.244.2.23'])
    expect(cluster.ready).toBe(true)
  })

  it('dnsA: a name that never resolved leaves the strategy not ready', async () => {
    const node = acceptingNode('chat@10.244.1.17')
    await using cluster = joinCluster(node, dnsA({ query: SVC, port: 4370, basename: 'chat', intervalMs: 100, retryInitialMs: 100, retryMaxMs: 200, resolver: dnsmasq.resolver() }))
    await nextEvent(cluster, 'lookupfailed')
    expect(cluster.ready).toBe(false)
  })

  it('dnsSrv: SRV targets are dialled on their own ports', async () => {
    await dnsmasq.setHosts([
      ['10.244.1.17', `cohort-0.${SVC}`],
      ['10.244.2.23', `cohort-1.${SVC}`],
    ])
    await dnsmasq.setSrv([
      { name: SRV, target: `cohort-0.${SVC}`, port: 4370, weight: 50 },
      { name: SRV, target: `cohort-1.${SVC}`, port: 4371, weight: 50 },
    ])
    const node = acceptingNode(`chat@cohort-0.${SVC}`)
    await using cluster = joinCluster(node, dnsSrv({ query: SRV, basename: 'chat', intervalMs: 100, resolver: dnsmasq.resolver() }))
    await nextEvent(cluster, 'ready')
    expect(cluster.members().map((m) => [m.name, m.url])).toEqual([[`chat@cohort-1.${SVC}`, `ws://cohort-1.${SVC}:4371`]])
    const grown = nextEvent(cluster, 'peers', (c) => c.peers.length === 2)
    await dnsmasq.setSrv([
      { name: SRV, target: `cohort-0.${SVC}`, port: 4370 },
      { name: SRV, target: `cohort-1.${SVC}`, port: 4371 },
      { name: SRV, target: `cohort-2.${SVC}`, port: 4372 },
    ])
    await grown
    expect(cluster.members().find((m) => m.name === `chat@cohort-2.${SVC}`)?.url).toBe(`ws://cohort-2.${SVC}:4372`)
  })
})
