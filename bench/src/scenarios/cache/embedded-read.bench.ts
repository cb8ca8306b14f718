/**
 * cache.embedded.get: reads per second from application code in a node's own process, `map.get` on the local
 * replica of a Cohort cache (what an application that embeds the cache does: no network hop, no encoding); the
 * baseline is `ioredis` GET from `redis-server` on this machine, 100 reads in flight with auto-pipelining, the best an
 * application can get from a remote cache. Both read 10,000 keys of 64 bytes in turn.
 */
import { Buffer } from 'node:buffer'
import { startReplicatedMap } from '@cohort/core'
import { keyFromText } from '@cohort/cache'
import { startNode } from '@cohort/transport'
import { Redis } from 'ioredis'
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import { closedLoop } from '../../child/open-loop.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { COOKIE, HOST } from '../../child/wire.ts'
import { startRedisGroup } from './redis-servers.ts'

const KEYS = 10_000
const VALUE = Buffer.alloc(64, 0x76)

runScenario(async (params: ScenarioParams) => {
  const target = params['target'] as 'cohort' | 'redis'
  if (target === 'cohort') {
    const node = await startNode({ name: `embedded@${HOST}`, host: HOST, port: 0, cookie: COOKIE })
    const map = startReplicatedMap<Uint8Array>(node.system, { scope: 'cache' })
    const keys = Array.from({ length: KEYS }, (_, i) => keyFromText(`key:${i}`))
    for (const key of keys) map.set(key, VALUE)
    let reads = 0
    let bytes = 0
    let running = true
    // Reads in slices of the event loop, so the sampler's timers still run between them.
    const loop = (): void => {
      if (!running) return
      for (let i = 0; i < 100_000; i++) bytes += map.get(keys[i % KEYS]!)!.length
      reads += 100_000
      setImmediate(loop)
    }
    loop()
    const { rates, cpu } = await sampleRates(params, () => ({ count: reads, atMs: nowMs() }))
    running = false
    await node.close()
    return [{ name: 'cache.embedded.get', values: rates, cpu: { sender: cpu.self }, extra: { keys: KEYS, valueBytes: VALUE.length, checksum: bytes % 7 } }]
  }
  const group = await startRedisGroup(0)
  const redis = new Redis({ host: HOST, port: group.primaryPort, enableAutoPipelining: true })
  try {
    for (let i = 0; i < KEYS; i += 1000) {
      const batch = redis.pipeline()
      for (let j = i; j < i + 1000; j++) batch.set(`key:${j}`, VALUE)
      await batch.exec()
    }
    let n = 0
    const result = await closedLoop(params, () => redis.getBuffer(`key:${n++ % KEYS}`), 100)
    return [{ name: 'baseline.redis.ioredis.get', values: result.rates, extra: { keys: KEYS, valueBytes: VALUE.length, inflight: 100, autoPipelining: true } }]
  } finally {
    redis.disconnect()
    await group.stop()
  }
})
