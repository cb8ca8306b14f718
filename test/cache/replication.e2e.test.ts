/**
 * Three cache nodes as separate processes over real sockets: writes on one are read on the others, values up to the
 * request limit included, WAIT answers once the others hold a node's writes, concurrent writes to one key converge, TTLs expire everywhere, and a node killed with
 * SIGKILL catches up when it comes back, serving neither HTTP's /readyz nor RESP's reads before it holds its peers' data.
 */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { cluster, httpGet, httpPut, readyzStatus, startCacheCluster, startCacheNode, until, waitForPeers } from './support/cache-process.ts'
import type { CacheNode } from './support/cache-process.ts'

const NAMES = ['a@127.0.0.1', 'b@127.0.0.1', 'c@127.0.0.1']

/** Waits until `key` reads `expected` (undefined: absent) on every node. */
async function convergesTo(nodes: CacheNode[], key: string, expected: string | undefined, timeoutMs = 15_000): Promise<void> {
  await until(async () => {
    for (const node of nodes) if ((await httpGet(node, key)) !== expected) return false
    return true
  }, timeoutMs, `${key} to read ${String(expected)} on every node`)
}

describe('cache replication across processes', () => {
  it('reads on every node what was written on one, and deletes everywhere', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b, c] = nodes as [CacheNode, CacheNode, CacheNode]
    await httpPut(a, 'greeting', 'hello')
    // Read-your-writes on the node that took the write.
    expect(await httpGet(a, 'greeting')).toBe('hello')
    await convergesTo(nodes, 'greeting', 'hello')
    await httpPut(c, 'greeting', 'bonjour')
    await convergesTo(nodes, 'greeting', 'bonjour')
    const del = await fetch(`${b.http}/kv/greeting`, { method: 'DELETE' })
    expect(del.status).toBe(204)
    await convergesTo(nodes, 'greeting', undefined)
  })

  it('answers WAIT, and a PUT with ?replicas=, once the other nodes hold the writes before it: reads there see them', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b, c] = nodes as [CacheNode, CacheNode, CacheNode]
    const redis = new Redis({ host: a.host, port: a.redisPort })
    const readers = [b, c].map((n) => new Redis({ host: n.host, port: n.redisPort }))
    try {
      const values = Array.from({ length: 2_000 }, (_, i) => `value-${i}`)
      const pipeline = redis.pipeline()
      values.forEach((v, i) => pipeline.set(`w${i}`, v))
      pipeline.call('WAIT', '2', '0')
      const replies = (await pipeline.exec())!
      expect(replies.at(-1)).toEqual([null, 2])
      for (const reader of readers) expect(await reader.mget('w0', 'w1999')).toEqual(['value-0', 'value-1999'])
      // More replicas than there are peers: it answers with the two once both have confirmed.
      await redis.set('one-more', 'x')
      expect(await redis.call('WAIT', '5', '10000')).toBe(2)
      for (const reader of readers) expect(await reader.get('one-more')).toBe('x')
      // The same over HTTP: a PUT or DELETE with ?replicas= answers once they hold it, and says how many do.
      const put = await fetch(`${a.http}/kv/by-http?replicas=2&waitMs=10000`, { method: 'PUT', body: 'h' })
      expect([put.status, put.headers.get('x-replicated-to')]).toEqual([204, '2'])
      for (const reader of readers) expect(await reader.get('by-http')).toBe('h')
      const del = await fetch(`${a.http}/kv/by-http?replicas=2&waitMs=10000`, { method: 'DELETE' })
      expect([del.status, del.headers.get('x-replicated-to')]).toEqual([204, '2'])
      for (const reader of readers) expect(await reader.exists('by-http')).toBe(0)
    } finally {
      redis.disconnect()
      for (const reader of readers) reader.disconnect()
    }
  })

  it('replicates a value up to CACHE_MAX_REQUEST_BYTES (12 MB here, past the transport\'s default 8 MiB message)', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b] = nodes as [CacheNode, CacheNode, CacheNode]
    const big = 'v'.repeat(12_000_000)
    await httpPut(a, 'big', big)
    await httpPut(a, 'small', 'after the big one')
    await convergesTo(nodes, 'small', 'after the big one')
    await until(async () => (await httpGet(b, 'big'))?.length === big.length, 15_000, 'the big value on b')
    // Every node's replica is still up (a failed send of the big batch used to crash it and empty the map).
    for (const n of nodes) expect(await httpGet(n, 'small')).toBe('after the big one')
  })

  it('shows the cache supervision tree of every node in the observer', async () => {
    const nodes = await startCacheCluster(NAMES)
    type Tree = { id: string; type: string; pid?: string; children: Tree[] }
    const report = (await (await fetch(`${nodes[0]!.http}/observer/cluster.json`)).json()) as { nodes: { node: string; tree: Tree[] }[] }
    expect(report.nodes.map((n) => n.node).sort()).toEqual([...NAMES].sort())
    for (const n of report.nodes) {
      // The observer reports the tree it runs under: the cache's root, with the replica that owns the map.
      expect(n.tree.map((c) => [c.id, c.type, typeof c.pid])).toEqual([
        ['observer', 'worker', 'string'],
        ['replica', 'worker', 'string'],
      ])
    }
  })

  it('converges to one value when every node writes the same key at once', async () => {
    const nodes = await startCacheCluster(NAMES)
    for (let round = 0; round < 5; round++) {
      await Promise.all(nodes.map((n, i) => httpPut(n, 'contended', `${n.name}#${round}#${i}`)))
      // The next round's writes carry a later clock time than this round's on every node (same machine clock).
      const roundEnd = Date.now()
      await until(() => Date.now() > roundEnd + 1, 1000, 'the clock to pass the round')
    }
    await until(async () => {
      const values = await Promise.all(nodes.map((n) => httpGet(n, 'contended')))
      return values.every((v) => v !== undefined && v === values[0])
    }, 15_000, 'one value for the contended key on every node')
    const final = await httpGet(nodes[0]!, 'contended')
    // The survivor is one of the last round's writes, never an older one.
    expect(final).toMatch(/#4#/)
  })

  it('expires a TTL key on every node', async () => {
    const nodes = await startCacheCluster(NAMES)
    // A TTL long enough that a loaded machine still sees the key on every node before it expires (with 3 s, a slow
    // replication round could let it expire first and the wait for 'token' everywhere would never end).
    const ttlMs = 8_000
    await httpPut(nodes[1]!, 'session', 'token', ttlMs)
    await convergesTo(nodes, 'session', 'token')
    const res = await fetch(`${nodes[2]!.http}/kv/session`)
    expect(Number(res.headers.get('x-ttl-ms'))).toBeGreaterThan(0)
    expect(Number(res.headers.get('x-ttl-ms'))).toBeLessThanOrEqual(ttlMs)
    await res.arrayBuffer()
    await convergesTo(nodes, 'session', undefined, ttlMs + 15_000)
    for (const node of nodes) expect((await cluster(node)).replication.keys).toBe(0)
  })

  it('catches up a node killed with SIGKILL when it restarts, without restarting the others', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b, c] = nodes as [CacheNode, CacheNode, CacheNode]
    for (let i = 0; i < 50; i++) await httpPut(a, `before:${i}`, `v${i}`)
    await convergesTo(nodes, 'before:49', 'v49')
    c.process.kill('SIGKILL')
    await c.process.exited
    await until(async () => !(await cluster(a)).replication.peers.includes(c.name), 15_000, 'a to drop c as a peer')
    // Writes, overwrites and deletes while c is down.
    for (let i = 0; i < 50; i++) await httpPut(b, `during:${i}`, `w${i}`)
    await httpPut(a, 'before:0', 'changed')
    await fetch(`${a.http}/kv/before:1`, { method: 'DELETE' })
    const c2 = await startCacheNode({ name: c.name, peers: [a, b].map((n) => ({ name: n.name, url: n.url })) })
    await waitForPeers([a, b, c2])
    await until(async () => (await cluster(c2)).replication.keys === 99, 15_000, 'the restarted node to hold all 99 keys')
    expect(await httpGet(c2, 'during:49')).toBe('w49')
    expect(await httpGet(c2, 'before:0')).toBe('changed')
    expect(await httpGet(c2, 'before:1')).toBeUndefined()
    expect(await httpGet(c2, 'before:2')).toBe('v2')
    // The others kept running throughout: the same processes answer.
    expect(a.process.child.exitCode).toBeNull()
    expect(b.process.child.exitCode).toBeNull()
  })

  it('keeps a restarted node out of readiness, and reads off it, until it holds its peers\' data', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b, c] = nodes as [CacheNode, CacheNode, CacheNode]
    // Enough keys that the restarted node's catch-up takes a while after it is listening and joined.
    const redis = new Redis({ host: a.host, port: a.redisPort })
    try {
      const pipeline = redis.pipeline()
      for (let i = 0; i < 50_000; i++) pipeline.set(`k:${i}`, `value ${i} ${'x'.repeat(64)}`)
      await pipeline.exec()
    } finally {
      redis.disconnect()
    }
    await until(async () => (await cluster(c)).replication.keys === 50_000, 15_000, 'c to hold every key')
    c.process.kill('SIGKILL')
    await c.process.exited
    const c2 = await startCacheNode({ name: c.name, peers: [a, b].map((n) => ({ name: n.name, url: n.url })) }, { untilReady: false })
    const last = `value 49999 ${'x'.repeat(64)}`
    // A RESP client without ioredis's ready check reads back to back from the moment the node listens: each read is
    // refused with LOADING or finds the key, never "absent".
    const raw = new Redis({ host: c2.host, port: c2.redisPort, enableReadyCheck: false, lazyConnect: true })
    // ioredis's ready check waits for INFO's loading:0 (its read is queued until then), so its first read finds the key.
    const checked = new Redis({ host: c2.host, port: c2.redisPort, lazyConnect: true })
    // The readers stop with the test, whichever way it ends: their clients close (a queued read then fails) and they
    // are awaited, so none outlives the test.
    let stop = false
    const readers: Promise<unknown>[] = []
    try {
      await raw.connect()
      const rawReads = (async (): Promise<void> => {
        while (!stop) {
          const reply = await raw.get('k:49999').catch((error: unknown) => error as Error)
          if (!(reply instanceof Error)) return expect(reply).toBe(last)
          expect(reply.message).toMatch(/^LOADING Cohort cache is catching up with its peers/)
        }
      })()
      const checkedRead = checked.get('k:49999')
      // The same over HTTP, straight to the node's port: 503 with Retry-After while loading, never a 404.
      const httpReads = (async (): Promise<void> => {
        while (!stop) {
          const res = await fetch(`${c2.http}/kv/k:49999`)
          const body = await res.text()
          if (res.status === 200) return expect(body).toBe(last)
          expect(res.status, body).toBe(503)
          expect(res.headers.get('retry-after')).toBe('1')
          expect(body).toMatch(/^loading: (not joined|catching up)/)
        }
      })()
      readers.push(rawReads, httpReads, checkedRead)
      // Asked back to back from the moment it listens: the first 200 must find every key there.
      const reasons = new Set<string>()
      for (;;) {
        const res = await fetch(`${c2.http}/readyz`)
        const body = await res.text()
        if (res.status === 200) break
        expect(res.status).toBe(503)
        reasons.add(body.trim())
      }
      // Whatever it waited for, it said so: discovery, or the catch-up, by name.
      for (const reason of reasons) expect(reason).toMatch(/^not ready: (not joined|catching up: no catch-up has ended yet with [ab]@)/)
      await Promise.all([rawReads, httpReads])
      expect(await checkedRead).toBe(last)
    } finally {
      stop = true
      raw.disconnect()
      checked.disconnect()
      await Promise.allSettled(readers)
    }
    const state = await cluster(c2)
    expect(state.replication.keys).toBe(50_000)
    expect((state.replication as unknown as { caughtUp: string[] }).caughtUp.length).toBeGreaterThan(0)
    expect(await httpGet(c2, 'k:49999')).toBe(last)
  })

  it('keeps the first node serving while a second joins and catches up from it', async () => {
    // Alone for CACHE_READY_CATCH_UP_MS (shortened here from 40 s, past discovery's longest redial), a counts as the
    // first node of its cluster.
    const a = await startCacheNode({ name: 'a@127.0.0.1', env: { CACHE_READY_CATCH_UP_MS: '1000' } })
    const client = new Redis({ host: a.host, port: a.redisPort })
    try {
      const pipeline = client.pipeline()
      for (let i = 0; i < 50_000; i++) pipeline.set(`k:${i}`, `value ${i}`)
      await pipeline.exec()
      const first = (): boolean => a.process.log.some((line) => line.includes('alone in the cluster'))
      await until(async () => (await readyzStatus(a)) === 200 && first(), 10_000, 'a to count as the first node of its cluster')
      const b = await startCacheNode({ name: 'b@127.0.0.1', peers: [{ name: a.name, url: a.url }] }, { untilReady: false })
      // Until b holds every key, a answers every read and stays ready: it was alone, so it holds all there is.
      for (;;) {
        expect(await client.get('k:49999')).toBe('value 49999')
        expect(await readyzStatus(a)).toBe(200)
        if ((await readyzStatus(b)) === 200) break
      }
      expect((await cluster(b)).replication.keys).toBe(50_000)
      // It kept serving as the first node, not for having given up waiting on b.
      expect(a.process.log.some((line) => line.includes('ready without a catch-up'))).toBe(false)
    } finally {
      client.disconnect()
    }
  })

  it('finishes replicating what it accepted when stopped with SIGTERM', async () => {
    const nodes = await startCacheCluster(NAMES)
    const [a, b] = nodes as [CacheNode, CacheNode, CacheNode]
    // A large pipeline, so that much is still waiting to be sent when the signal comes.
    const redis = new Redis({ host: a.host, port: a.redisPort })
    try {
      const pipeline = redis.pipeline()
      for (let i = 0; i < 20_000; i++) pipeline.set(`last:${i}`, `x${i}`)
      await pipeline.exec()
    } finally {
      redis.disconnect()
    }
    a.process.kill('SIGTERM')
    expect(await a.process.exited).toBe(0)
    expect(a.process.log.some((line) => line.includes('replication drained') && !line.includes('without'))).toBe(true)
    // a waited for its peers to confirm before it left: b holds every key a accepted already.
    expect((await cluster(b)).replication.keys).toBe(20_000)
    expect(await httpGet(b, 'last:19999')).toBe('x19999')
  })
})
