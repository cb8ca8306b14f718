import { describe, expect, it } from 'vitest'
import { addRestart } from './restart-intensity.ts'

describe('addRestart', () => {
  const intensity = { maxRestarts: 2, withinMs: 1000 }

  it('allows maxRestarts restarts within the window', () => {
    let r = addRestart([], 0, intensity)
    expect(r.exceeded).toBe(false)
    r = addRestart(r.restarts, 10, intensity)
    expect(r.exceeded).toBe(false)
    expect(addRestart(r.restarts, 20, intensity).exceeded).toBe(true)
  })

  it('forgets restarts older than the window', () => {
    const r = addRestart([0, 10], 1010, intensity)
    expect(r.restarts).toEqual([1010])
    expect(r.exceeded).toBe(false)
  })

  it('treats maxRestarts 0 as: the first failure is fatal', () => {
    expect(addRestart([], 5, { maxRestarts: 0, withinMs: 1000 }).exceeded).toBe(true)
  })
})
