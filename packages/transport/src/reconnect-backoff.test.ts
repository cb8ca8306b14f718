/** The reconnect backoff: the delays it picks, and a node that sends to a dead peer dialling it only that often. */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Pid, seededRandom } from '@cohort/core'
import { describe, expect, it } from 'vitest'
import { ReconnectBackoff } from './reconnect-backoff.ts'
import { testNode, track } from './test-support/nodes.ts'

describe('ReconnectBackoff', () => {
  it('doubles from the minimum up to the cap, with the jitter in the upper half, and resets', () => {
    const b = new ReconnectBackoff()
    const random = seededRandom(1)
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      b.failed(1000, 200, 5000, random)
      waits.push(b.waitMs(1000))
    }
    const bases = [200, 400, 800, 1600, 3200, 5000, 5000, 5000]
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(bases[i]! / 2)
      expect(w).toBeLessThanOrEqual(bases[i]!)
    })
    b.reset()
    expect(b.waitMs(1000)).toBe(0)
  })
})

describe('sending to a node that is down', () => {
  it('dials it a few times a second at most, not once per send', async () => {
    // A port that accepts TCP and closes at once: every dial fails fast, and each one is counted.
    let dials = 0
    const server = createServer((socket) => {
      dials++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) })
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
    const a = await testNode('a', { reconnectMinMs: 100, reconnectMaxMs: 1000 })
    let nodedowns = 0
    a.node.system.monitorNodes((e) => {
      if (e.type === 'nodedown') nodedowns++
    })
    await expect(a.node.connect({ name: 'gone@127.0.0.1', url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    const target = new Pid('gone@127.0.0.1', 1, 1)
    // 300 sends over about 1.5 s: before the backoff, each found no session and dialled.
    for (let i = 0; i < 300; i++) {
      a.node.system.send(target, { i })
      await new Promise((r) => setTimeout(r, 5))
    }
    // 100, 200, 400, 800 ms (at most, jittered) after the first failure: five or six dials in all, never 300.
    expect(dials).toBeGreaterThanOrEqual(2)
    expect(dials).toBeLessThanOrEqual(8)
    expect(nodedowns).toBeLessThanOrEqual(8)
  })
})
