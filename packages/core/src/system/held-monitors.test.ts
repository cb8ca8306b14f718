import { describe, expect, it } from 'vitest'
import { Pid } from '../pid.ts'
import { Ref } from '../ref.ts'
import { HeldMonitors } from './held-monitors.ts'
import type { HeldMonitor } from './held-monitors.ts'

const held = (id: number, node = 'a@h'): HeldMonitor => ({ ref: new Ref(node, id, 1), target: new Pid('b@h', id, 1), node: 'b@h', pid: undefined })

describe('HeldMonitors', () => {
  it('finds a monitor by an equal ref, never by another node\'s ref with the same id', () => {
    const monitors = new HeldMonitors()
    const m = held(7)
    monitors.add(m)
    expect(monitors.get(new Ref('a@h', 7, 1))).toBe(m)
    expect(monitors.get(new Ref('c@h', 7, 1))).toBeUndefined()
    expect(monitors.get(new Ref('a@h', 7, 2))).toBeUndefined()
    expect(monitors.delete(new Ref('c@h', 7, 1))).toBe(false)
    expect(monitors.size).toBe(1)
    expect(monitors.delete(new Ref('a@h', 7, 1))).toBe(true)
    expect(monitors.delete(new Ref('a@h', 7, 1))).toBe(false)
    expect(monitors.size).toBe(0)
  })

  it('lists monitors in the order they were set up, through growing past one and shrinking back', () => {
    const monitors = new HeldMonitors()
    const [m1, m2, m3, m4] = [held(1), held(2), held(3), held(4)]
    monitors.add(m1)
    monitors.add(m2)
    monitors.add(m3)
    expect(monitors.list()).toEqual([m1, m2, m3])
    monitors.delete(m2.ref)
    expect(monitors.list()).toEqual([m1, m3])
    expect(monitors.get(m3.ref)).toBe(m3)
    monitors.delete(m1.ref)
    monitors.delete(m3.ref)
    expect(monitors.list()).toEqual([])
    monitors.add(m4)
    expect(monitors.list()).toEqual([m4])
    expect(monitors.size).toBe(1)
  })

  it('gives a copy that stays whole while monitors are removed during iteration', () => {
    const monitors = new HeldMonitors()
    for (let i = 1; i <= 3; i++) monitors.add(held(i))
    const seen: number[] = []
    for (const m of monitors.list()) {
      seen.push(m.ref.id)
      monitors.delete(m.ref)
    }
    expect(seen).toEqual([1, 2, 3])
    expect(monitors.size).toBe(0)
  })
})
