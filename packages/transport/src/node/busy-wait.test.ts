/** BusyWait: the loop is kept polling for the window after each frame, and stops when it ends or the node closes. */
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { echo, testNode } from '../test-support/nodes.ts'
import { BusyWait } from './busy-wait.ts'

/** One turn of the event loop: an immediate queued now runs after the ones already queued. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('BusyWait', () => {
  it('spins from a frame until the window has passed since the last frame', async () => {
    let now = 0
    const busy = new BusyWait(5, () => now)
    busy.frameRead()
    expect(busy.spinning).toBe(true)
    now = 4
    await nextTurn()
    expect(busy.spinning).toBe(true)
    busy.frameRead() // a later frame moves the window
    now = 8
    await nextTurn()
    expect(busy.spinning).toBe(true)
    now = 9
    await nextTurn()
    expect(busy.spinning).toBe(false)
    busy.frameRead()
    expect(busy.spinning).toBe(true)
    busy.stop() // its clock stands still: it would spin for good
    await nextTurn()
  })

  it('never spins with a window of 0', async () => {
    const busy = new BusyWait(0, () => 0)
    busy.frameRead()
    expect(busy.spinning).toBe(false)
  })

  it('stops at the next turn once stopped, and frames do not start it again', async () => {
    const busy = new BusyWait(1000, () => 0)
    busy.frameRead()
    busy.stop()
    await nextTurn()
    expect(busy.spinning).toBe(false)
    busy.frameRead()
    expect(busy.spinning).toBe(false)
  })
})

describe('startNode busyWaitMs', () => {
  /** The share of `ms` of wall time the event loop spent outside its poll for I/O, from now. */
  async function loopUtilizationOver(ms: number): Promise<number> {
    const start = performance.eventLoopUtilization()
    await new Promise((resolve) => setTimeout(resolve, ms))
    return performance.eventLoopUtilization(start).utilization
  }

  async function callBetween(busyWaitMs: number): Promise<{ close(): Promise<void> }> {
    const a = await testNode('a', { busyWaitMs })
    const b = await testNode('b', { busyWaitMs })
    const pid = b.node.system.spawn(echo)
    await a.node.connect({ name: b.node.name, url: b.node.url })
    expect(await a.node.system.call(pid, 'ping')).toBe('ping')
    return { close: async () => void (await Promise.all([a.node.close(), b.node.close()])) }
  }

  it('keeps the loop polling after a frame, and stops when the nodes close', async () => {
    const nodes = await callBetween(1000)
    expect(await loopUtilizationOver(50)).toBeGreaterThan(0.5)
    await nodes.close()
    expect(await loopUtilizationOver(50)).toBeLessThan(0.5)
  })

  it('lets the loop sleep after a frame by default', async () => {
    await callBetween(0)
    expect(await loopUtilizationOver(50)).toBeLessThan(0.5)
  })
})
