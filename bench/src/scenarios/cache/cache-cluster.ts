/**
 * Three Cohort cache nodes as helper processes (cache-node.ts), connected into one mesh, and the check that their
 * replicas have converged: the same key count on every node and nothing left to send.
 */
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import { sleep } from '../../child/harness.ts'
import { HOST } from '../../child/wire.ts'

export interface CacheNodeInfo {
  name: string
  url: string
  redisPort: number
}

export interface CacheCluster {
  readonly nodes: Helper[]
  readonly infos: CacheNodeInfo[]
  close(): Promise<void>
}

/** Starts `count` cache nodes and waits until each sees every other as a replication peer. */
export async function startCacheCluster(count: number, cpuProfDir: string | undefined): Promise<CacheCluster> {
  const names = Array.from({ length: count }, (_, i) => `cache${i}@${HOST}`)
  const nodes = await Promise.all(names.map((name) => startHelper(import.meta.url, './cache-node.js', { name }, cpuProfDir)))
  const infos = await Promise.all(nodes.map((n) => n.request<CacheNodeInfo>({ type: 'info' })))
  // Each node dials the ones started before it, one node at a time, so no pair dials both ways at once.
  for (const [i, n] of nodes.entries()) await n.request({ type: 'connect', peers: infos.slice(0, i) })
  for (let tries = 0; ; tries++) {
    const peers = await Promise.all(nodes.map((n) => n.request<string[]>({ type: 'peers' })))
    if (peers.every((p) => p.length === count - 1)) break
    if (tries > 400) throw new Error('the cache nodes did not all become replication peers')
    await sleep(25)
  }
  return {
    nodes,
    infos,
    async close() {
      await Promise.all(nodes.map((n) => n.close()))
    },
  }
}

/** Waits until every node holds the same number of keys and has nothing left to send; false after ~10 s. */
export async function waitForCacheConvergence(cluster: CacheCluster): Promise<boolean> {
  for (let tries = 0; tries < 400; tries++) {
    const stats = await Promise.all(cluster.nodes.map((n) => n.request<{ keys: number; pending: number }>({ type: 'stats' })))
    if (stats.every((s) => s.pending === 0 && s.keys === stats[0]!.keys)) return true
    await sleep(25)
  }
  return false
}
