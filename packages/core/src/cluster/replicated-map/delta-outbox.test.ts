import { describe, expect, it } from 'vitest'
import { DeltaOutbox } from './delta-outbox.ts'

describe('DeltaOutbox', () => {
  it('keeps one pending key per key, asks for one flush at a time, and hands keys out oldest first', () => {
    const outbox = new DeltaOutbox()
    expect(outbox.mark('lonely')).toBe(false)
    outbox.addPeer('b@h')
    outbox.addPeer('c@h')
    expect(outbox.mark('x')).toBe(true)
    expect(outbox.mark('y')).toBe(false)
    expect(outbox.mark('x')).toBe(false)
    expect(outbox.sizes()).toEqual({ 'b@h': 2, 'c@h': 2 })
    expect(outbox.take(1)).toEqual(['x'])
    expect(outbox.hasPending()).toBe(true)
    expect(outbox.take(10)).toEqual(['y'])
    expect(outbox.hasPending()).toBe(false)
    outbox.dropPeer('b@h')
    outbox.dropPeer('c@h')
    outbox.flushQueued = false
    expect(outbox.mark('z')).toBe(false)
    expect(outbox.nodes()).toEqual([])
  })
})
