/**
 * One node of a Cohort cache, run as a helper process of the cache scenarios: a Cohort node with the replicated map
 * and the RESP listener of @cohort/cache (the same pieces `runCacheNode` assembles, without HTTP and discovery, which
 * the scenarios do not measure). Answers `info`, `connect`, `peers`, `stats`, `watch` and `halt` over IPC.
 *
 * `watch` connects to a TCP port of the scenario and writes the key of every change that arrives from another node
 * (one line per change), so replication delay is observed the way a Redis replica's keyspace notifications are:
 * from the replica, over a socket.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { startReplicatedMap } from '@cohort/core'
import { keyToText, startRespServer } from '@cohort/cache'
import type { CacheMap } from '@cohort/cache'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'
import { serveRequests } from '../../child/helper-process.ts'
import { COOKIE, HOST } from '../../child/wire.ts'
import { caughtUpLoadingCheck } from './caught-up-loading-check.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { name: string }
const logger = pino({ level: 'silent' })
const node = await startNode({ name: args.name, host: HOST, port: 0, cookie: COOKIE, logger })
const map = startReplicatedMap<Uint8Array>(node.system, { scope: 'cache' }) as CacheMap
const resp = await startRespServer({ map, port: 0, host: HOST, now: () => node.system.clock.now(), nodeName: node.name, logger, loading: caughtUpLoadingCheck(map) })
let watcher: Socket | undefined
// Subscribed only while a scenario watches: a cache node (runCacheNode) has no subscriber, and a subscriber makes the
// map build a change event for every write, which the scenarios that do not watch must not pay for.
let unsubscribe: (() => void) | undefined
/** The keys reported in this pass, written together at its end. */
let reported = ''
const report = (): void => {
  watcher?.write(reported)
  reported = ''
}

serveRequests(async (request) => {
  switch (request['type']) {
    case 'info':
      return { name: node.name, url: node.url, redisPort: resp.port }
    case 'connect':
      for (const peer of request['peers'] as Array<{ name: string; url: string }>) {
        if (peer.name === node.name || node.nodes().includes(peer.name)) continue
        try {
          await node.connect(peer)
        } catch (err) {
          // The transitive mesh may have connected the two meanwhile (the handshake then ends as a duplicate).
          if (!node.nodes().includes(peer.name)) throw err
        }
      }
      return true
    case 'peers':
      return map.peers()
    case 'stats': {
      const stats = map.stats()
      return { keys: map.size, pending: Object.values(stats.pendingByPeer).reduce((a, b) => a + b, 0) }
    }
    case 'watch':
      await new Promise<void>((resolve, reject) => {
        const socket = connect(request['port'] as number, HOST, () => resolve())
        socket.setNoDelay(true)
        socket.on('error', reject)
        watcher = socket
      })
      unsubscribe ??= map.subscribe((change) => {
        if (watcher === undefined || change.origin === node.name || change.type !== 'set') return
        // One write per event-loop pass, as Redis writes a pass's keyspace notifications to its subscriber: a write
        // per change cost this node a system call for each key a received batch held.
        if (reported === '') setImmediate(report)
        reported += `${keyToText(change.key)}\n`
      })
      return true
    case 'halt':
      unsubscribe?.()
      unsubscribe = undefined
      watcher?.destroy()
      watcher = undefined
      return true
    default:
      throw new Error(`unknown request ${String(request['type'])}`)
  }
}, async () => {
  await resp.close()
  await node.close()
})
