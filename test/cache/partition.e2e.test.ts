/**
 * A partition between real processes in separate network namespaces: node a is cut off from b and c by nftables
 * inside its namespace. Both sides keep taking writes (every node is a primary), and when the cut is removed the
 * nodes reconnect and converge on one value per key by last writer wins, with the writes of both sides kept.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cluster, httpGet, httpPut, startCacheCluster, until } from './support/cache-process.ts'
import type { CacheNode } from './support/cache-process.ts'
import { createCacheNetwork } from './support/cache-network.ts'
import type { CacheNetwork } from './support/cache-network.ts'

let network: CacheNetwork | undefined
afterEach(() => {
  network?.dispose()
  network = undefined
})

describe('cache under a network partition', () => {
  it('accepts writes on both sides of a partition and converges when it heals', async () => {
    network = createCacheNetwork(3)
    const net = network
    const nodes: CacheNode[] = []
    // Nodes in their own namespaces: each joins the ones before it; tick 2 s so the cut is noticed quickly.
    for (const [i, host] of net.hosts.entries()) {
      nodes.push(
        ...(await startCacheCluster([`${'abc'[i]}@${host}`], {
          host,
          netns: net.namespaces[i]!,
          env: {
            COHORT_TICK_MS: '2000',
            COHORT_PEERS: nodes.map((n) => `${n.name}=${n.url}`).join(','),
          },
        })),
      )
    }
    const [a, b, c] = nodes as [CacheNode, CacheNode, CacheNode]
    await until(async () => (await cluster(a)).replication.peers.length === 2 && (await cluster(c)).replication.peers.length === 2, 20_000, 'a full mesh')
    await httpPut(a, 'shared', 'before')
    await httpPut(a, 'doomed', 'x')
    await until(async () => (await httpGet(c, 'doomed')) === 'x', 10_000, 'the first writes on c')

    net.partition(0, [1, 2])
    await until(async () => (await cluster(a)).replication.peers.length === 0, 20_000, 'a to lose its peers')
    await until(async () => !(await cluster(b)).replication.peers.includes(a.name), 20_000, 'b to lose a')

    // Both sides accept writes while cut off, and each reads its own.
    await httpPut(b, 'shared', 'from-bc-side')
    await httpPut(a, 'only-a', 'written on a')
    await httpPut(c, 'only-bc', 'written on c')
    await fetch(`${b.http}/kv/doomed`, { method: 'DELETE' })
    // a's write to the shared key comes last (a later clock time), so last-writer-wins must pick it after the heal.
    const afterB = Date.now()
    await until(() => Date.now() > afterB + 1, 1000, 'the clock to pass b\'s write')
    await httpPut(a, 'shared', 'from-a-side')
    expect(await httpGet(a, 'shared')).toBe('from-a-side')
    expect(await httpGet(b, 'shared')).toBe('from-bc-side')
    expect(await httpGet(a, 'doomed')).toBe('x')
    expect(await httpGet(a, 'only-bc')).toBeUndefined()

    net.heal()
    await until(async () => {
      for (const node of nodes) {
        if ((await httpGet(node, 'shared')) !== 'from-a-side') return false
        if ((await httpGet(node, 'only-a')) !== 'written on a') return false
        if ((await httpGet(node, 'only-bc')) !== 'written on c') return false
        if ((await httpGet(node, 'doomed')) !== undefined) return false
      }
      return true
    }, 30_000, 'every node to converge after the heal')
    for (const node of nodes) expect((await cluster(node)).replication.keys).toBe(3)
  })
})
