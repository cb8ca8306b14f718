import { describe, expect, it } from 'vitest'
import type { Clock } from '../clock.ts'
import { TestClock } from '../testing/test-clock.ts'
import { Deadlines, Expiring } from './deadlines.ts'

class Entry extends Expiring {
  readonly name: string
  readonly expired: string[]
  constructor(name: string, expired: string[]) {
    super()
    this.name = name
    this.expired = expired
  }
  expire(): void {
    this.expired.push(this.name)
  }
}

describe('Deadlines', () => {
  it("starts a deadline at the clock's turn time when it has one, as Node's timers do", async () => {
    const clock = new TestClock()
    // The turn began at 0; this entry is added 40 ms into it.
    const turnClock: Clock = {
      now: () => clock.now(),
      turnNow: () => 0,
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle),
      setImmediate: (fn) => clock.setImmediate(fn),
    }
    const deadlines = new Deadlines(turnClock)
    const expired: string[] = []
    await clock.advance(40)
    const entry = new Entry('late in its turn', expired)
    deadlines.add(entry, 100)
    expect(entry.deadline).toBe(100)
    // Its timer was armed for the timeout from now, so it expires between the two: here at the later.
    await clock.advance(100)
    expect(expired).toEqual(['late in its turn'])
  })

  it('expires each entry at its own deadline, with one timer per timeout', async () => {
    const clock = new TestClock()
    const deadlines = new Deadlines(clock)
    const expired: string[] = []
    deadlines.add(new Entry('a', expired), 100)
    await clock.advance(30)
    deadlines.add(new Entry('b', expired), 100)
    deadlines.add(new Entry('c', expired), 50)
    expect(clock.pending).toBe(2)
    await clock.advance(49)
    expect(expired).toEqual([])
    await clock.advance(1) // t = 80
    expect(expired).toEqual(['c'])
    await clock.advance(20) // t = 100
    expect(expired).toEqual(['c', 'a'])
    await clock.advance(29)
    expect(expired).toEqual(['c', 'a'])
    await clock.advance(1) // t = 130
    expect(expired).toEqual(['c', 'a', 'b'])
    expect(clock.pending).toBe(0)
  })

  it('forgets a removed entry, and clears the timer when none is left', async () => {
    const clock = new TestClock()
    const deadlines = new Deadlines(clock)
    const expired: string[] = []
    const a = new Entry('a', expired)
    const b = new Entry('b', expired)
    deadlines.add(a, 100)
    deadlines.add(b, 100)
    deadlines.remove(a)
    deadlines.remove(a) // twice is nothing
    expect(deadlines.list()).toEqual([b])
    deadlines.remove(b)
    expect(clock.pending).toBe(0)
    await clock.advance(200)
    expect(expired).toEqual([])
  })

  it('never expires an entry without a timeout, yet lists it', async () => {
    const clock = new TestClock()
    const deadlines = new Deadlines(clock)
    const expired: string[] = []
    const forever = new Entry('forever', expired)
    deadlines.add(forever, Infinity)
    deadlines.add(new Entry('soon', expired), 10)
    await clock.advance(1_000_000)
    expect(expired).toEqual(['soon'])
    expect(deadlines.list()).toEqual([forever])
    expect(clock.pending).toBe(0)
  })
})
