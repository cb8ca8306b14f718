import { describe, expect, it } from 'vitest'
import { sendsDue } from './open-loop-schedule.ts'

describe('sendsDue', () => {
  it('makes the first send due at the start', () => {
    expect(sendsDue(0, 0.2)).toBe(1)
  })

  it('makes each send due the moment its intended time comes, not one interval later', () => {
    // At 0.2 sends per ms, send i is intended at 5i ms.
    expect(sendsDue(4.999, 0.2)).toBe(1)
    expect(sendsDue(5, 0.2)).toBe(2)
    expect(sendsDue(10, 0.2)).toBe(3)
  })

  it('counts every send whose time has come after a late wake-up', () => {
    // Intended at 0, 0.5, 1, …, 9.5 and 10 ms: a wake-up at 10 ms owes 21 sends.
    expect(sendsDue(10, 2)).toBe(21)
  })
})
