import { describe, expect, it } from 'vitest'
import { metronome } from './metronome.ts'

/** Resolves once `count` ticks of a metronome of `periodUs` have come, with their times (ms, performance.now). */
function ticksOf(periodUs: number, count: number, onTick: (n: number) => void = () => undefined): Promise<number[]> {
  return new Promise((resolve) => {
    const times: number[] = []
    const stop = metronome(periodUs)(() => {
      times.push(performance.now())
      onTick(times.length)
      if (times.length === count) {
        stop()
        resolve(times)
      }
    })
  })
}

describe('metronome', () => {
  it('ticks finer than a millisecond timer can', async () => {
    const times = await ticksOf(250, 101)
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b)
    // A timer's ticks are a millisecond apart at least; most of these are a quarter of that.
    expect(gaps[gaps.length >> 1]!).toBeLessThan(0.9)
  })

  it('keeps at most one tick waiting for a main thread that was held up', async () => {
    let heldUntil = 0
    const times = await ticksOf(100, 12, (n) => {
      if (n !== 2) return
      // Holds the main thread for 30 ms, through some 300 periods.
      const from = performance.now()
      while (performance.now() - from < 30);
      heldUntil = performance.now()
    })
    // Tick 3 waited through the hold; ticks 4 to 12 are new ones, a period or so apart. A backlog of the periods
    // held through would have delivered them all at once.
    expect(times[2]!).toBeGreaterThanOrEqual(heldUntil)
    expect(times[11]! - times[2]!).toBeGreaterThan(0.5)
  })

  it('stops ticking once stopped', async () => {
    let ticks = 0
    const stop = metronome(100)(() => ticks++)
    await new Promise<void>((resolve) => {
      const check = metronome(100)(() => {
        if (ticks >= 3) {
          check()
          resolve()
        }
      })
    })
    stop()
    const stoppedAt = ticks
    await ticksOf(100, 20)
    expect(ticks).toBe(stoppedAt)
  })

  it('refuses a period that is not a positive number of microseconds', () => {
    expect(() => metronome(0)).toThrow(/periodUs must be a positive number of microseconds, got 0/)
    expect(() => metronome(Number.NaN)).toThrow(/periodUs/)
  })
})
