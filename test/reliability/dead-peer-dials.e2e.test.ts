/**
 * A node that keeps sending to a peer that is down dials it on its reconnect backoff, not once per send: before the
 * backoff, 485 connection attempts and 485 nodedowns followed in the 5 s after a peer was killed. The dead peer here
 * is a port that accepts TCP and closes it at once, so every dial fails fast and is counted.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { record } from './support/figures.ts'
import { startReliabilityNode } from './support/reliability-nodes.ts'

const servers: Array<{ close(): void }> = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

describe('sending steadily to a node that is down', () => {
  it('dials it a few times on the backoff, not once per send', { timeout: 60_000 }, async () => {
    let dials = 0
    const sockets: Socket[] = []
    const server = createServer((socket) => {
      dials++
      sockets.push(socket)
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push({ close: () => server.close() })
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
    const a = await startReliabilityNode({ name: 'a@127.0.0.1', node: { reconnectMinMs: 200, reconnectMaxMs: 5000 } })
    await a.request('connect', { name: 'gone@127.0.0.1', url }).catch(() => undefined)
    const before = dials
    // 100 messages a second for 5 s, as in the report that found it.
    const result = await a.request<{ sent: number; nodedowns: number }>('sendPaced', { to: { node: 'gone@127.0.0.1', id: 1, creation: 1 }, count: 500, everyMs: 10 })
    const attempts = dials - before
    record('deadPeerDials', { sends: result.sent, overMs: 5000, dialAttempts: attempts, nodedowns: result.nodedowns })
    // 200, 400, 800, 1600, 3200 ms (jittered into their upper halves) after the first failure: about five, never 500.
    expect(attempts).toBeGreaterThanOrEqual(3)
    expect(attempts).toBeLessThanOrEqual(10)
    expect(result.nodedowns).toBeLessThanOrEqual(10)
  })
})
