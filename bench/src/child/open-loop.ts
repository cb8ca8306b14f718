/**
 * Call load generators shared by Cohort's call scenarios and the bare ws baseline, so both are measured the same way.
 * - Closed loop: N callers, each starting its next call when the previous one returns; gives calls/s and the round
 *   trip's p50/p99 (with one in flight, a ping-pong's latency).
 * - Open loop: calls start on a fixed schedule (call i is due at start + i / rate) whatever the replies do, and each
 *   latency is measured from the call's intended start, not from when the generator got to it, so a stall counts
 *   against the system (no coordinated omission). Latencies go into HDR histograms (hdr-histogram-js), one per trial
 *   by intended start time.
 */
import hdr from 'hdr-histogram-js'
import { nowMs, sleep } from './harness.ts'
import type { ChildResult, ScenarioParams } from './protocol.ts'

export type Caller = () => Promise<unknown>

/** Round trips timed per caller: every one with few in flight; one in TIMED_EVERY with many, where reading the
 * clock twice per call would cost a few percent of the rate. Which calls are timed does not depend on their latency. */
const TIMED_EVERY = 16

/**
 * Calls per second with `inflight` callers, one rate per trial after the warm-up, and the round trip's p50 and p99 per
 * trial, in microseconds (from the call's start to its settling, as the caller sees it).
 */
export async function closedLoop(
  params: ScenarioParams,
  call: Caller,
  inflight: number,
): Promise<{ rates: number[]; p50: number[]; p99: number[] }> {
  let done = 0
  let running = true
  let histogram = roundTripHistogram()
  const timedEvery = inflight <= 8 ? 1 : TIMED_EVERY
  const loops: Promise<void>[] = []
  for (let i = 0; i < inflight; i++) {
    loops.push(
      (async () => {
        let n = i
        while (running) {
          if (n++ % timedEvery === 0) {
            const started = nowMs()
            await call()
            histogram.recordValue(Math.max(1, Math.round((nowMs() - started) * 1000)))
          } else {
            await call()
          }
          done++
        }
      })(),
    )
  }
  await sleep(params.warmupMs)
  const rates: number[] = []
  const p50: number[] = []
  const p99: number[] = []
  histogram.reset()
  let last = { count: done, at: nowMs() }
  for (let t = 0; t < params.trials; t++) {
    await sleep(params.trialMs)
    const next = { count: done, at: nowMs() }
    rates.push(((next.count - last.count) * 1000) / (next.at - last.at))
    p50.push(histogram.getValueAtPercentile(50))
    p99.push(histogram.getValueAtPercentile(99))
    histogram.destroy()
    histogram = roundTripHistogram()
    last = next
  }
  running = false
  await Promise.all(loops)
  histogram.destroy()
  return { rates, p50, p99 }
}

function roundTripHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 })
}

/** The figures of a closed-loop run: `<prefix>.inflight<N>` (calls/s) and its `.p50` and `.p99` (µs). */
export function closedLoopResults(prefix: string, inflight: number, result: { rates: number[]; p50: number[]; p99: number[] }): ChildResult[] {
  return [
    { name: `${prefix}.inflight${inflight}`, values: result.rates },
    { name: `${prefix}.inflight${inflight}.p50`, values: result.p50 },
    { name: `${prefix}.inflight${inflight}.p99`, values: result.p99 },
  ]
}

/** Percentiles of one trial, in microseconds. */
export interface LatencyTrial {
  p50: number
  p99: number
  p999: number
  count: number
  /** Calls that had not returned when the wait after the schedule ended (counted at the wait's length). */
  unfinished: number
}

/**
 * Offers `rate` calls per second for the warm-up and then `trials` trials; returns each trial's percentiles and the
 * rate actually achieved (completions per second over the trials).
 */
export async function openLoop(params: ScenarioParams, call: Caller, rate: number): Promise<{ trials: LatencyTrial[]; achieved: number }> {
  const intervalMs = 1000 / rate
  const totalMs = params.warmupMs + params.trials * params.trialMs
  const histograms = Array.from({ length: params.trials }, () =>
    hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 }),
  )
  const start = nowMs()
  let issued = 0
  let outstanding = 0
  let completedInTrials = 0
  const record = (intended: number): void => {
    outstanding--
    const trial = Math.floor((intended - start - params.warmupMs) / params.trialMs)
    if (trial < 0 || trial >= histograms.length) return
    completedInTrials++
    histograms[trial]!.recordValue(Math.max(1, Math.round((nowMs() - intended) * 1000)))
  }
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowMs()
      const elapsed = now - start
      const due = Math.min(Math.floor(elapsed / intervalMs) + 1, Math.floor(totalMs / intervalMs))
      while (issued < due) {
        const intended = start + issued * intervalMs
        issued++
        outstanding++
        call().then(
          () => record(intended),
          () => record(intended),
        )
      }
      if (elapsed >= totalMs) {
        resolve()
        return
      }
      // Spin through the event loop while the next call is near; sleep when it is far (low rates).
      const untilNext = start + issued * intervalMs - nowMs()
      if (untilNext > 2) setTimeout(tick, untilNext - 1)
      else setImmediate(tick)
    }
    tick()
  })
  const waitEnd = nowMs() + 10_000
  while (outstanding > 0 && nowMs() < waitEnd) await sleep(5)
  const unfinished = outstanding
  const trials = histograms.map((h) => {
    const t: LatencyTrial = {
      p50: h.getValueAtPercentile(50),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      count: h.totalCount,
      unfinished,
    }
    h.destroy()
    return t
  })
  return { trials, achieved: (completedInTrials * 1000) / (params.trials * params.trialMs) }
}

/** The figures of a latency run: `<prefix>.p50.load25`... with the offered and achieved rates as extras. */
export function latencyResults(
  prefix: string,
  byLoad: { load: number; rate: number; result: { trials: LatencyTrial[]; achieved: number } }[],
  extra: Record<string, unknown>,
): { name: string; values: number[]; extra: Record<string, unknown> }[] {
  const ratesByLoad = Object.fromEntries(byLoad.map((l) => [l.load, Math.round(l.rate)]))
  return byLoad.flatMap(({ load, rate, result }) =>
    (['p50', 'p99', 'p999'] as const).map((p) => ({
      name: `${prefix}.${p}.load${load}`,
      values: result.trials.map((t) => t[p]),
      extra: {
        ...extra,
        ratesByLoad,
        offeredRate: Math.round(rate),
        achievedRate: Math.round(result.achieved),
        callsPerTrial: result.trials.map((t) => t.count),
        unfinished: result.trials[0]?.unfinished ?? 0,
      },
    })),
  )
}
