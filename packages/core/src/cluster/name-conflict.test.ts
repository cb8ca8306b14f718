import { describe, expect, it } from 'vitest'
import { Pid } from '../pid.ts'
import { NameTakenError, keepOldest, resolveConflict } from './name-conflict.ts'
import type { GlobalRegistration } from './name-conflict.ts'

const reg = (node: string, id: number, registeredAt: number): GlobalRegistration => ({ name: 'x', pid: new Pid(node, id, 1), registeredAt })

describe('name conflicts', () => {
  it('keepOldest keeps the older registration, then the first node name, then the lower id', () => {
    expect(keepOldest('x', reg('b@h', 1, 5), reg('a@h', 1, 9)).node).toBe('b@h')
    expect(keepOldest('x', reg('b@h', 1, 5), reg('a@h', 1, 5)).node).toBe('a@h')
    expect(keepOldest('x', reg('a@h', 7, 5), reg('a@h', 3, 5)).id).toBe(3)
  })

  it('resolveConflict gives the same winner whatever the order of candidates', () => {
    const cs = [reg('c@h', 1, 3), reg('a@h', 1, 3), reg('b@h', 1, 2)]
    const w1 = resolveConflict(cs, keepOldest)
    const w2 = resolveConflict([...cs].reverse(), keepOldest)
    expect(w1?.pid.node).toBe('b@h')
    expect(w2).toEqual(w1)
  })

  it('calls a custom resolver with candidates in node order and falls back to keepOldest on a bad answer', () => {
    const calls: string[] = []
    const w = resolveConflict([reg('b@h', 1, 1), reg('a@h', 1, 2)], (_n, a, b) => {
      calls.push(`${a.pid.node} ${b.pid.node}`)
      return b.pid
    })
    expect(calls).toEqual(['a@h b@h'])
    expect(w?.pid.node).toBe('b@h')
    expect(resolveConflict([reg('b@h', 1, 1), reg('a@h', 1, 2)], () => new Pid('z@h', 1, 1))?.pid.node).toBe('b@h')
    expect(resolveConflict([reg('b@h', 1, 1), reg('a@h', 1, 2)], () => { throw new Error('bug') })?.pid.node).toBe('b@h')
    expect(resolveConflict([reg('b@h', 1, 1), reg('a@h', 1, 2)], () => undefined)).toBeUndefined()
  })

  it('NameTakenError carries the name, the holder and the code', () => {
    const e = new NameTakenError('x', new Pid('a@h', 1, 1))
    expect(e).toMatchObject({ code: 'COHORT_ERR_NAME_TAKEN', globalName: 'x', name: 'NameTakenError' })
    expect(e.message).toBe('the global name "x" is taken by <a@h.1>')
  })
})
