/** Two nodes with different tickMs agree on the larger, each logging the difference once per peer. */
import { describe, expect, it } from 'vitest'
import { agreedTickMs, isAnnouncedTick } from './connection/tick-agreement.ts'
import { nextEvent, testNode } from './test-support/nodes.ts'
import type { TestNode } from './test-support/nodes.ts'

const tickWarnings = (n: TestNode): Record<string, unknown>[] =>
  n.log.records.filter((r) => String(r['msg']).startsWith('peer uses another tickMs'))

describe('tick agreement', () => {
  it('keeps the larger of the two, or the local one when the peer announced none', () => {
    expect(agreedTickMs(3_000, 15_000)).toBe(15_000)
    expect(agreedTickMs(15_000, 3_000)).toBe(15_000)
    expect(agreedTickMs(3_000, undefined)).toBe(3_000)
  })

  it('accepts only whole milliseconds from 100 to one hour', () => {
    expect(isAnnouncedTick(100)).toBe(true)
    expect(isAnnouncedTick(3_600_000)).toBe(true)
    for (const bad of [99, 3_600_001, 1.5, '15000', null, Number.NaN]) expect(isAnnouncedTick(bad)).toBe(false)
  })

  it('two nodes with different settings each log the difference once per peer', async () => {
    const a = await testNode('a', { tickMs: 200 })
    const b = await testNode('b', { tickMs: 15_000 })
    await a.node.connect({ name: b.node.name, url: b.node.url })
    expect(tickWarnings(a)).toEqual([
      expect.objectContaining({ peer: b.node.name, tickMs: 200, peerTickMs: 15_000, agreedTickMs: 15_000 }),
    ])
    expect(tickWarnings(b)).toEqual([
      expect.objectContaining({ peer: a.node.name, tickMs: 15_000, peerTickMs: 200, agreedTickMs: 15_000 }),
    ])
    // Reconnecting does not log it again.
    const down = nextEvent(a.node, 'nodedown')
    a.node.disconnect(b.node.name)
    await down
    await a.node.connect({ name: b.node.name, url: b.node.url })
    expect(tickWarnings(a)).toHaveLength(1)
  })
})
