import { afterEach, describe, expect, it, vi } from 'vitest'
import { OVERLOAD_BEHIND_MS, latencyResults, openLoop } from './open-loop.ts'
import type { ScenarioParams } from './protocol.ts'

const params = (warmupMs: number, trials: number, trialMs: number): ScenarioParams => ({ quick: false, warmupMs, trials, trialMs, cpuProfDir: undefined })

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('openLoop', () => {
  it('measures every trial of a load the system keeps up with', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] })
    let calls = 0
    // 100 calls a second, each answered 2 ms after it is made.
    const run = openLoop(params(100, 2, 200), () => new Promise((resolve) => setTimeout(resolve, 2, ++calls)), 100)
    await vi.advanceTimersByTimeAsync(1000)
    const result = await run
    expect(result.overloaded).toBeUndefined()
    expect(calls).toBe(50)
    expect(result.trials.map((t) => t.count)).toEqual([20, 20])
    expect(result.trials.map((t) => t.p50)).toEqual([2000, 2000])
  })

  it('stops as overloaded once a second of calls is unanswered, and issues nothing after', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate', 'performance'] })
    let calls = 0
    // Answers come 5 s after each call: at 100 calls a second, the wake-up after the 101st call finds 101 unanswered.
    const run = openLoop(params(1000, 3, 1000), () => new Promise((resolve) => setTimeout(resolve, 5000, ++calls)), 100)
    await vi.advanceTimersByTimeAsync(20_000)
    const result = await run
    expect(result.overloaded).toEqual({ atMs: 1010, lateMs: 0, outstanding: 101 })
    expect(calls).toBe(101)
    // The last call issued was the first intended inside a trial (at 1000 ms); none came after it.
    expect(result.trials.map((t) => t.count)).toEqual([1, 0, 0])
  })

  it('stops as overloaded when the generator itself falls a second behind its schedule', async () => {
    // A call that holds the process: the next wake-up finds the calls due 1.5 s late.
    const realNow = performance.now.bind(performance)
    let shift = 0
    vi.spyOn(performance, 'now').mockImplementation(() => realNow() + shift)
    let calls = 0
    const result = await openLoop(
      params(0, 2, 5000),
      () => {
        if (++calls === 1) shift = OVERLOAD_BEHIND_MS + 500
        return Promise.resolve()
      },
      100,
    )
    expect(calls).toBe(1)
    expect(result.overloaded?.lateMs).toBeGreaterThan(OVERLOAD_BEHIND_MS)
    expect(result.overloaded?.outstanding).toBe(0)
  })
})

describe('latencyResults', () => {
  const trial = { p50: 100, p99: 900, p999: 2000, count: 10, unfinished: 0, sendLagP99: 50 }

  it('reports an overloaded load as skipped with its reason, keeping the rates the baseline reads', () => {
    const results = latencyResults(
      'x',
      [
        { load: 25, rate: 1000, result: { trials: [trial, trial], achieved: 1000 } },
        { load: 90, rate: 3600, result: { trials: [trial, trial], achieved: 700, overloaded: { atMs: 1500, lateMs: 2, outstanding: 3601 } } },
      ],
      {},
    )
    const p99 = (load: number) => results.find((r) => r.name === `x.p99.load${load}`)!
    expect(p99(25).values).toEqual([900, 900])
    expect(p99(25).skipped).toBeUndefined()
    expect(p99(90).values).toEqual([])
    expect(p99(90).skipped).toBe('overloaded: 3600/s offered, 3601 calls unanswered after 1.5 s, so it stopped')
    expect(p99(90).extra?.['ratesByLoad']).toEqual({ 25: 1000, 90: 3600 })
  })

  it('leaves out the floor of a generator that could not keep up alone, and says why', () => {
    const overloaded = { trials: [trial], achieved: 10, overloaded: { atMs: 1200, lateMs: 1100, outstanding: 0 } }
    const [p50] = latencyResults('x', [{ load: 90, rate: 3600, result: { trials: [trial], achieved: 3600 }, floor: overloaded }], {})
    expect(p50!.values).toEqual([100])
    expect(p50!.extra?.['generatorFloor']).toBeUndefined()
    expect(p50!.extra?.['generatorFloorOverloaded']).toBe('overloaded: 3600/s offered, its calls 1.1 s late after 1.2 s, so it stopped')
  })
})
