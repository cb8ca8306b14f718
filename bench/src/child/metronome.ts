/**
 * Ticks finer than Node's timers, for the open loops' generators. A timer fires on the millisecond at best, so a
 * generator woken by one issues each send up to a millisecond after its intended time, half a millisecond on average:
 * with nothing else running, a 1 ms timer loop at 20,000 sends/s read 0.55 ms at p50 and 1.1–1.2 ms at p99 of its own
 * lateness, a floor that every open-loop latency figure carried for both sides of its ratio. Here a worker thread
 * sleeps on `Atomics.wait` (whose timeout has microsecond precision) and posts the main thread a message every
 * `periodUs`; at 250 µs the same loop read 0.14 ms at p50 and 0.46 ms at p99, for about a tenth of a vCPU more.
 *
 * The worker sleeps between ticks, so the generator stays off the CPU the system under test needs (a generator that
 * spins through the event loop took a whole vCPU from the processes it measured). At most one tick waits for the main
 * thread at a time: a main thread that was held up gets one tick when it is free, not a backlog of them.
 */
import { Worker } from 'node:worker_threads'

/** A source of ticks: calls `tick` on each one until the returned function is called. */
export type TickSource = (tick: () => void) => () => void

/** The period the open loops tick at, in µs (see the top of the file for what it costs and buys). */
export const METRONOME_PERIOD_US = 250

/** Slots of the shared state: a tick posted and not yet taken, and the stop flag the worker sleeps on. */
const PENDING = 0
const STOP = 1

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const state = new Int32Array(workerData.state)
const periodNs = BigInt(Math.max(1, Math.round(workerData.periodUs * 1000)))
const start = process.hrtime.bigint()
let k = 1n
while (Atomics.load(state, ${STOP}) === 0) {
  const now = process.hrtime.bigint()
  // A tick missed while this thread was not running is skipped, not made up in a burst.
  const next = (now - start) / periodNs + 1n
  if (next > k) k = next
  const waitMs = Number(start + k * periodNs - now) / 1e6
  if (waitMs > 0) Atomics.wait(state, ${STOP}, 0, waitMs)
  k++
  if (Atomics.compareExchange(state, ${PENDING}, 0, 1) === 0) parentPort.postMessage(null)
}
`

/**
 * Calls `tick` about every `periodUs` from a worker thread's sleep (see the top of the file); the first tick comes once
 * the worker has started, some tens of milliseconds later. Returns the function that stops it.
 */
export function metronome(periodUs: number = METRONOME_PERIOD_US): TickSource {
  if (!Number.isFinite(periodUs) || periodUs <= 0) throw new RangeError(`metronome: periodUs must be a positive number of microseconds, got ${periodUs}`)
  return (tick) => {
    const state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { state: state.buffer, periodUs } })
    let running = true
    worker.on('message', () => {
      Atomics.store(state, PENDING, 0)
      if (running) tick()
    })
    // The loop that ticks keeps its process alive by its own sockets and timers, not by this thread.
    worker.unref()
    return () => {
      running = false
      Atomics.store(state, STOP, 1)
      Atomics.notify(state, STOP)
    }
  }
}
