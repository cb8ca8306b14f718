import { describe, expect, it } from 'vitest'
import { Pid } from '../pid.ts'
import { keepOldest } from './name-conflict.ts'
import { NameTable } from './name-table.ts'

const pid = (node: string, id: number): Pid => new Pid(node, id, 1)

describe('NameTable', () => {
  it('keeps registrations per home and returns the winner of a conflict', () => {
    const t = new NameTable('a@h', keepOldest)
    t.add({ name: 'x', pid: pid('b@h', 1), registeredAt: 10 })
    expect(t.whereis('x')?.equals(pid('b@h', 1))).toBe(true)
    t.add({ name: 'x', pid: pid('c@h', 1), registeredAt: 5 })
    expect(t.candidates('x')).toHaveLength(2)
    expect(t.whereis('x')?.equals(pid('c@h', 1))).toBe(true)
    expect(t.remove('x', 'c@h')?.pid.equals(pid('c@h', 1))).toBe(true)
    expect(t.whereis('x')?.equals(pid('b@h', 1))).toBe(true)
    expect(t.names()).toEqual(['x'])
  })

  it('replaceHome and dropHome forget what a home no longer holds', () => {
    const t = new NameTable('a@h', keepOldest)
    t.add({ name: 'x', pid: pid('b@h', 1), registeredAt: 1 })
    t.add({ name: 'y', pid: pid('b@h', 1), registeredAt: 1 })
    t.replaceHome('b@h', [{ name: 'y', pid: pid('b@h', 1), registeredAt: 1 }, { name: 'z', pid: pid('c@h', 1), registeredAt: 1 }])
    expect(t.names()).toEqual(['y'])
    t.dropHome('b@h')
    expect(t.names()).toEqual([])
  })

  it('reservations make a claim fail until announced, released, or their home is dropped', () => {
    const t = new NameTable('a@h', keepOldest)
    t.reserve({ name: 'x', pid: pid('b@h', 1), registeredAt: 1 })
    expect(t.otherHolder('x', pid('c@h', 1))?.equals(pid('b@h', 1))).toBe(true)
    expect(t.otherHolder('x', pid('b@h', 1))).toBeUndefined()
    expect(t.whereis('x')).toBeUndefined()
    t.add({ name: 'x', pid: pid('b@h', 1), registeredAt: 1 })
    t.remove('x', 'b@h')
    expect(t.otherHolder('x', pid('c@h', 1))).toBeUndefined()
    t.reserve({ name: 'y', pid: pid('b@h', 2), registeredAt: 1 })
    t.dropHome('b@h')
    expect(t.otherHolder('y', pid('c@h', 1))).toBeUndefined()
    t.reserve({ name: 'z', pid: pid('b@h', 3), registeredAt: 1 })
    t.unreserve('z', pid('b@h', 3))
    expect(t.otherHolder('z', pid('c@h', 1))).toBeUndefined()
  })
})
