/**
 * The normal simultaneous connect at startup, when two nodes dial each other at once: one connection wins by the tie
 * rule and the loser is closed with 4005. That is routine, not trouble: both connects resolve and nothing is logged
 * above info. And a dial that times out is reported as a timeout, not as bad input.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { logged, testNode, track } from './test-support/nodes.ts'

const cookie = randomBytes(32).toString('base64')

describe('a simultaneous connect', () => {
  it('resolves both connects and logs nothing above info, ten times over', async () => {
    for (let i = 0; i < 10; i++) {
      const a = await testNode(`a${i}`, { cookie })
      const b = await testNode(`b${i}`, { cookie })
      await Promise.all([a.node.connect({ name: b.node.name, url: b.node.url }), b.node.connect({ name: a.node.name, url: a.node.url })])
      expect(a.node.nodes()).toEqual([b.node.name])
      expect(b.node.nodes()).toEqual([a.node.name])
      const loud = [...a.log.records, ...b.log.records].filter((r) => (r['level'] as number) > 30)
      expect(loud).toEqual([])
    }
  })
})

describe('a dial that times out', () => {
  it('is logged as a handshake timeout, not as bad input', async () => {
    // Accepts TCP and never answers the upgrade.
    const sockets: import('node:net').Socket[] = []
    const server = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    track({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy()
          server.close(() => resolve())
        }),
    })
    const a = await testNode('a', { cookie, handshakeTimeoutMs: 200 })
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
    await expect(a.node.connect({ name: 'mute@127.0.0.1', url })).rejects.toMatchObject({ code: 'COHORT_ERR_HANDSHAKE_FAILED' })
    expect(logged(a.log, 'connection closed for bad input')).toEqual([])
  })
})
