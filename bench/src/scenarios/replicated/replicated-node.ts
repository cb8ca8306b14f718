/**
 * One node of the replicated-state scenarios, run as a helper process: a Cohort node with a replicated map and a
 * presence tracker in scope 'bench'. Writers write 100-byte Buffer values (the first 8 bytes carry the intended write
 * time, from the machine-wide monotonic clock, so another process can time the replication); every node counts the
 * remote changes it applies and keeps an HDR histogram of their delays. Requests: info, connect, disconnect, write
 * (as fast as possible, until halt), rate (open loop at a fixed rate), floor (the same open loop writing nothing: the
 * generator's own floor), mark, delays, fill, changeKeys, waitSize, catchUp, track, trackedDiffs.
 */
import { Buffer } from 'node:buffer'
import { startPresence, startReplicatedMap } from '@cohort/core'
import type { Pid } from '@cohort/core'
import { startNode } from '@cohort/transport'
import hdr from 'hdr-histogram-js'
import { serveRequests } from '../../child/helper-process.ts'
import { nowUs, onTicks, sendsDue } from '../../child/open-loop-schedule.ts'
import { COOKIE, HOST } from '../../child/wire.ts'

export const VALUE_BYTES = 100
/** Keys a writer cycles through: a bounded map, as a cache's. */
export const KEY_SPACE = 100_000

const args = JSON.parse(process.argv[2] ?? '{}') as { name: string }
const node = await startNode({ name: args.name, host: HOST, port: 0, cookie: COOKIE })
const map = startReplicatedMap<Buffer>(node.system, { scope: 'bench' })
const presence = startPresence(node.system, { scope: 'bench' })

let remoteChanges = 0
let written = 0
let running = false
/** Stops the open-loop writer (`writeAt`), if one runs. */
let stopWriter = (): void => {}
let histogram = newHistogram()
/** How late the open loop issued its writes against their schedule, or (for `floor`) the generator's whole delay. */
let lagHistogram = newHistogram()
/** The process's CPU at the last `delays` or `floorDelays`, so each trial reports its own share. */
let lastCpu = { usage: process.cpuUsage(), atMs: performance.now() }
const waiters = new Set<() => void>()
// Only the peers' writes: the writer's own are not what is measured, and a change of one carries a copy of its value.
map.subscribe(
  (change) => {
    remoteChanges++
    const value = change.value
    if (value !== undefined && value.length >= 8) {
      const sent = value.readDoubleLE(0)
      if (sent > 0) histogram.recordValue(Math.max(1, Math.round(nowUs() - sent)))
    }
    for (const wake of [...waiters]) wake()
  },
  { local: false },
)

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 })
}

function value(stamp: number, fill: number): Buffer {
  // From Node's pool, as an application's Buffers mostly are: an ArrayBuffer of its own per value cost the open-loop
  // writer more than the map's write.
  const v = Buffer.allocUnsafe(VALUE_BYTES).fill(fill & 0xff)
  v.writeDoubleLE(stamp, 0)
  return v
}

/**
 * Values for the flat-out writer, made before it starts: it measures the map, and allocating a 100-byte Buffer (an
 * ArrayBuffer of its own each) cost the writer as much CPU as the map's write itself. The receivers still get values
 * of their own; 1,021 values (a prime) keep consecutive keys' values different.
 */
const FLAT_VALUES: readonly Buffer[] = Array.from({ length: 1021 }, (_, i) => value(0, i))

/** Writes as fast as the node can, yielding to the event loop every 512 writes so the map's actor sends batches. */
function writeFlat(prefix: string): void {
  running = true
  let i = 0
  const burst = (): void => {
    if (!running) return
    for (let n = 0; n < 512; n++, i++) map.set(`${prefix}${i % KEY_SPACE}`, FLAT_VALUES[i % FLAT_VALUES.length]!)
    written += 512
    setImmediate(burst)
  }
  burst()
}

/**
 * Runs `tick` again when the next write is due at `dueUs`: through the event loop when it is near, after a timer when
 * it is more than 2 ms away, as the call scenarios' open loop does. A generator that spins through the event loop at
 * low rates keeps its process runnable, and on a loaded machine the kernel then makes it wait behind others.
 */
function nextTick(tick: () => void, dueUs: number): void {
  const untilMs = (dueUs - nowUs()) / 1000
  if (untilMs > 2) setTimeout(tick, untilMs - 1)
  else setImmediate(tick)
}

/**
 * Writes at `rate` per second on a fixed schedule; each value carries its intended time, and each write's lateness
 * against it goes into the lag histogram. With `write` false the same loop writes nothing and records only its own
 * lateness: the generator's floor, what the loop and the machine add before the map is even called.
 *
 * The loop wakes on the metronome's ticks (every 250 µs, from a worker thread's sleep: metronome.ts) and writes
 * everything due, instead of spinning through the event loop as the call scenarios' generator does: three node
 * processes share two vCPUs here, and a writer that is always runnable took a whole vCPU from the two receivers, which
 * then queued behind each other. The writes a tick issues late count against the figure, from their intended time,
 * and the floor shows how late the ticks are on their own. The ticks are `onTicks`, which the bare-ws baseline
 * (wire-delay.bench.ts) runs on too.
 */
function writeAt(prefix: string, rate: number, write: boolean): void {
  stopWriter()
  stopWriter = onTicks(rate, (i, intended, now) => {
    lagHistogram.recordValue(Math.max(1, Math.round(now - intended)))
    if (write) map.set(`${prefix}${i % KEY_SPACE}`, value(intended, i))
  })
}

/** The percentiles of `h` and the CPU this process used since the last trial, in vCPUs; then both start again. */
function trialOf(h: hdr.Histogram): { p50: number; p99: number; p999: number; count: number; lagP99: number; cpu: { total: number; system: number } } {
  const usage = process.cpuUsage()
  const atMs = performance.now()
  const seconds = (atMs - lastCpu.atMs) / 1000
  const cpu = {
    total: Math.round(((usage.user - lastCpu.usage.user + usage.system - lastCpu.usage.system) / 1e6 / seconds) * 100) / 100,
    system: Math.round(((usage.system - lastCpu.usage.system) / 1e6 / seconds) * 100) / 100,
  }
  lastCpu = { usage, atMs }
  const out = { p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), p999: h.getValueAtPercentile(99.9), count: h.totalCount, lagP99: lagHistogram.getValueAtPercentile(99), cpu }
  lagHistogram.reset()
  return out
}

const until = (check: () => boolean, timeoutMs = 60_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (!check()) return
      waiters.delete(attempt)
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(() => {
      waiters.delete(attempt)
      reject(new Error(`${node.name}: condition not met in ${timeoutMs} ms (size ${map.size}, remote changes ${remoteChanges})`))
    }, timeoutMs)
    waiters.add(attempt)
    attempt()
  })

let presenceDelays = newHistogram()
let presenceDiffs = 0
presence.subscribe('room', (diff) => {
  for (const join of diff.joins) {
    const sent = (join.meta as { sent?: number }).sent
    if (join.node !== node.name && typeof sent === 'number') {
      presenceDelays.recordValue(Math.max(1, Math.round(nowUs() - sent)))
      presenceDiffs++
    }
  }
  for (const wake of [...waiters]) wake()
})
const tracked: Pid[] = []

serveRequests(
  async (request) => {
    switch (request['type']) {
      case 'info':
        return { name: node.name, url: node.url }
      case 'connect': {
        const peers = request['peers'] as { name: string; url: string }[]
        // One side dials each pair, so no two connections race for it.
        await Promise.all(peers.filter((p) => p.name > node.name).map((p) => node.connect(p)))
        // Peers of the map arrive a message after nodeup, and nothing here is woken by them: check every few ms.
        while (map.peers().length < peers.length - 1) await new Promise((resolve) => setTimeout(resolve, 5))
        return true
      }
      case 'disconnect':
        for (const name of node.nodes()) node.disconnect(name)
        return true
      case 'waitAlone':
        // Until this node's map has no peer left (the other side's nodedown arrived).
        while (map.peers().length > 0) await new Promise((resolve) => setTimeout(resolve, 5))
        return true
      case 'write':
        writeFlat(String(request['prefix']))
        return true
      case 'rate':
        histogram = newHistogram()
        lagHistogram.reset()
        writeAt(String(request['prefix']), Number(request['rate']), true)
        return true
      case 'floor':
        lagHistogram.reset()
        writeAt('', Number(request['rate']), false)
        return true
      case 'floorDelays':
        // The floor's delays are its lateness alone: the lag histogram is the figure.
        return trialOf(lagHistogram)
      case 'halt':
        running = false
        stopWriter()
        return true
      case 'mark':
        return { count: remoteChanges, written, atMs: performance.now(), cpu: process.cpuUsage() }
      case 'delays': {
        const out = trialOf(histogram)
        histogram.destroy()
        histogram = newHistogram()
        return out
      }
      case 'fill': {
        // Keys `${prefix}0` on (`k` by default), the whole key space by default: the keys the open loops write.
        const count = Number(request['count'] ?? KEY_SPACE)
        const prefix = String(request['prefix'] ?? 'k')
        for (let i = 0; i < count; i++) {
          map.set(`${prefix}${i}`, value(0, i))
          if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
        }
        return map.size
      }
      case 'changeKeys': {
        // `count` keys spread over the key space, with new values: what changed during a partition.
        const count = Number(request['count'])
        const round = Number(request['round'])
        let bytes = 0
        for (let i = 0; i < count; i++) {
          const key = `k${(i * 331 + round * 7919) % Number(request['of'])}`
          map.set(key, value(0, round * 31 + i + 1))
          bytes += Buffer.byteLength(key) + VALUE_BYTES
        }
        return bytes
      }
      case 'waitSize': {
        const size = Number(request['size'])
        await until(() => map.size >= size)
        return map.size
      }
      case 'catchUp': {
        // Reconnects to `peer` and times until `changes` remote changes arrived; returns the ms and the bytes that
        // crossed the new connection both ways (catch-up, handshake and ticks).
        const peer = request['peer'] as { name: string; url: string }
        const target = remoteChanges + Number(request['changes'])
        const started = performance.now()
        await node.connect(peer)
        await until(() => remoteChanges >= target)
        const ms = performance.now() - started
        const stats = node.stats().peers.find((p) => p.node === peer.name)
        return { ms, bytes: (stats?.bytesIn ?? 0) + (stats?.bytesOut ?? 0) }
      }
      case 'track': {
        const count = Number(request['count'])
        for (let i = 0; i < count; i++) {
          const pid = node.system.spawn(async (ctx) => {
            await ctx.receive(() => false)
          })
          tracked.push(pid)
          presence.track(pid, 'room', `user-${node.name}-${i}`, { sent: 0 })
        }
        return presence.list('room').length
      }
      case 'waitPresence': {
        const size = Number(request['size'])
        await until(() => presence.list('room').length >= size)
        return true
      }
      case 'presenceAt': {
        // Updates one tracked entry at `rate` per second (each update is a leave and a join on every node).
        running = true
        presenceDelays = newHistogram()
        const rate = Number(request['rate'])
        const start = nowUs()
        let i = 0
        const tick = (): void => {
          if (!running) return
          // Write i is due at start + i / rate: the first at once, each as soon as its time has come.
          const due = sendsDue(nowUs() - start, rate / 1e6)
          for (; i < due; i++) {
            const pid = tracked[i % tracked.length]!
            presence.update(pid, 'room', `user-${node.name}-${i % tracked.length}`, { sent: start + (i * 1e6) / rate })
          }
          nextTick(tick, start + (i * 1e6) / rate)
        }
        tick()
        return true
      }
      case 'presenceDelays': {
        const out = { p50: presenceDelays.getValueAtPercentile(50), p99: presenceDelays.getValueAtPercentile(99), count: presenceDiffs }
        presenceDelays.destroy()
        presenceDelays = newHistogram()
        return out
      }
      default:
        throw new Error(`unknown request ${String(request['type'])}`)
    }
  },
  () => node.close(),
)
