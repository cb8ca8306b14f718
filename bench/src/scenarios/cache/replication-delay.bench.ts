/**
 * cache.replication.<p50|p99|p999>.load<25|50|90>: how long a write takes to be visible on another node. A client
 * (ioredis) writes to one node on a fixed schedule (open loop); the other node reports every key that arrives from a
 * peer over a socket, and each write's delay runs from its intended start to that report. The loads are shares of the
 * maximum write rate measured first (closed loop, 100 writes in flight). The baseline measures the same path on
 * `redis-server` with a replica: writes to the primary, keyspace notifications (`notify-keyspace-events K$`) from
 * the replica, at the same absolute rates as Cohort's run.
 *
 * Keys cycle through SLOTS names, so memory stays bounded; a report for a key settles every write to it still
 * waiting (Cohort coalesces pending writes to one key into one change, which is what a reader sees).
 */
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { runScenario } from '../../child/harness.ts'
import { closedLoop, latencyResults, openLoop } from '../../child/open-loop.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'
import { startCacheCluster } from './cache-cluster.ts'
import { startRedisGroup } from './redis-servers.ts'

const SLOTS = 100_000
const VALUE = 'v'.repeat(64)

/** Write keys and their waiters: `settle(key)` resolves every write to `key` still waiting. */
class Waiters {
  #seq = 0
  readonly #byKey = new Map<string, Array<() => void>>()
  nextKey(): string {
    return `d:${this.#seq++ % SLOTS}`
  }
  wait(key: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#byKey.get(key)
      if (list === undefined) this.#byKey.set(key, [resolve])
      else list.push(resolve)
    })
  }
  settle(key: string): void {
    const list = this.#byKey.get(key)
    if (list === undefined) return
    this.#byKey.delete(key)
    for (const resolve of list) resolve()
  }
}

runScenario(async (params: ScenarioParams) => {
  const target = params['target'] as 'cohort' | 'redis'
  const loads = params['loads'] as number[]
  const givenRates = params['rates'] as Record<string, number> | undefined
  const waiters = new Waiters()
  let writerPort: number
  let stop: () => Promise<void>
  const cleanups: Array<() => void> = []

  if (target === 'cohort') {
    const cluster = await startCacheCluster(2, params.cpuProfDir)
    writerPort = cluster.infos[0]!.redisPort
    // The replica reports arriving keys, one per line, over a socket to this process.
    const server = createServer()
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve))
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
    await cluster.nodes[1]!.request({ type: 'watch', port: (server.address() as AddressInfo).port })
    const socket = await connected
    createInterface({ input: socket }).on('line', (key) => waiters.settle(key))
    cleanups.push(() => socket.destroy(), () => server.close())
    stop = () => cluster.close()
  } else {
    const group = await startRedisGroup(1, ['--notify-keyspace-events', 'K$'])
    writerPort = group.primaryPort
    const subscriber = new Redis({ host: HOST, port: group.replicaPorts[0]! })
    const channelPrefix = '__keyspace@0__:'
    await subscriber.psubscribe(`${channelPrefix}d:*`)
    subscriber.on('pmessage', (_pattern: string, channel: string) => waiters.settle(channel.slice(channelPrefix.length)))
    cleanups.push(() => subscriber.disconnect())
    stop = () => group.stop()
  }

  const writer = new Redis({ host: HOST, port: writerPort })
  cleanups.push(() => writer.disconnect())
  try {
    const write = (): Promise<unknown> => {
      const key = waiters.nextKey()
      const visible = waiters.wait(key)
      return writer.set(key, VALUE).then(() => visible)
    }
    let maxRate: number
    if (givenRates === undefined) {
      const max = await closedLoop({ ...params, trials: 1 }, () => writer.set(waiters.nextKey(), VALUE), 100)
      maxRate = max.rates[0]!
      // A stalled measurement would make every load an empty schedule; fail the scenario instead of reporting zeros.
      if (!(maxRate > 0)) throw new Error(`no write completed while the max write rate was measured (${maxRate}/s)`)
      // The closed loop leaves a backlog on the way to the replica; the first load must not start behind it. A last
      // write seen on the replica means everything written before it arrived too (changes reach a peer in order).
      await write()
    } else {
      maxRate = NaN
    }
    const byLoad = []
    for (const load of loads) {
      const rate = givenRates?.[String(load)] ?? (maxRate * load) / 100
      byLoad.push({ load, rate, result: await openLoop(params, write, rate) })
    }
    const prefix = target === 'cohort' ? 'cache.replication' : 'baseline.redis.replication'
    return latencyResults(prefix, byLoad, { maxWriteRate: Math.round(maxRate), observer: target === 'cohort' ? 'map.subscribe on the replica, over a socket' : 'keyspace notifications from the replica' })
  } finally {
    for (const cleanup of cleanups) cleanup()
    await stop()
  }
})
