/**
 * Call load generators shared by Cohort's call scenarios and the bare ws baseline, so both are measured the same way.
 * - Closed loop: N callers, each starting its next call when the previous one returns; gives calls/s and the round
 *   trip's p50/p99 (with one in flight, a ping-pong's latency).
 * - Open loop: calls start on a fixed schedule (call i is due at start + i / rate) whatever the replies do, and each
 *   latency is measured from the call's intended start, not from when the generator got to it, so a stall counts
 *   against the system (no coordinated omission). Latencies go into HDR histograms (hdr-histogram-js), one per trial
 *   by intended start time.
 * - The generator's floor: the same open loop with a call that settles at once (`generatorFloor`), run by the same
 *   process at the same rate right before the measured loop. Whatever latency it shows belongs to the generator and
 *   the machine (timer granularity, the process's own pauses, the host descheduling it), not to the system under
 *   test, so it is reported beside every latency figure; each trial also keeps its send lag (how late the generator
 *   issued calls against their schedule).
 * - Overload: a loop that falls a second behind (a second of calls due and not yet issued, or issued and not yet
 *   answered) stops there and reports the load as overloaded instead of its latencies. Past that point the latencies
 *   grow with the length of the run, not with the system, and the backlog (a promise, a port and a 30 s timer per call)
 *   grows until the process spends its time collecting it: at 600k calls/s offered against a 470k maximum, a six-second
 *   schedule took 36 s and 3.3 GB of heap, and left 590k calls outstanding for the next load to run beside.
 */
import hdr from 'hdr-histogram-js'
import { nowMs, sleep } from './harness.ts'
import { sendsDue } from './open-loop-schedule.ts'
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

/** How far behind its schedule an open loop may fall before it stops as overloaded (see the top of the file). */
export const OVERLOAD_BEHIND_MS = 1000

/** Where an open loop stopped because it fell `OVERLOAD_BEHIND_MS` behind. */
export interface Overload {
  /** Milliseconds into the schedule (warm-up included). */
  atMs: number
  /** How late the next call due was when it stopped (the generator could not keep up), in ms. */
  lateMs: number
  /** Calls issued and not yet answered when it stopped (the system could not keep up). */
  outstanding: number
}

/** Percentiles of one trial, in microseconds. */
export interface LatencyTrial {
  p50: number
  p99: number
  p999: number
  count: number
  /** Calls that had not returned when the wait after the schedule ended (counted at the wait's length). */
  unfinished: number
  /** p99 of the send lag, in µs: how long after its intended start the generator issued a call. */
  sendLagP99: number
}

/** An open loop's outcome: each trial's percentiles, the rate achieved, and where it stopped if it was overloaded. */
export interface OpenLoopResult {
  trials: LatencyTrial[]
  achieved: number
  overloaded?: Overload
}

/**
 * Offers `rate` calls per second for the warm-up and then `trials` trials; returns each trial's percentiles and the
 * rate actually achieved (completions per second over the trials). Stops early, with `overloaded`, once it falls
 * `OVERLOAD_BEHIND_MS` behind.
 */
export async function openLoop(params: ScenarioParams, call: Caller, rate: number): Promise<OpenLoopResult> {
  const intervalMs = 1000 / rate
  const totalMs = params.warmupMs + params.trials * params.trialMs
  const histograms = Array.from({ length: params.trials }, () => roundTripHistogram())
  const lags = Array.from({ length: params.trials }, () => roundTripHistogram())
  const start = nowMs()
  let issued = 0
  let outstanding = 0
  let completedInTrials = 0
  let overloaded: Overload | undefined
  const backlogLimit = (rate * OVERLOAD_BEHIND_MS) / 1000
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
      const due = Math.min(sendsDue(elapsed, rate / 1000), Math.floor(totalMs / intervalMs))
      const lateMs = now - (start + issued * intervalMs)
      if (issued < due && (lateMs > OVERLOAD_BEHIND_MS || outstanding > backlogLimit)) {
        overloaded = { atMs: Math.round(elapsed), lateMs: Math.round(lateMs), outstanding }
        resolve()
        return
      }
      while (issued < due) {
        const intended = start + issued * intervalMs
        const trial = Math.floor((intended - start - params.warmupMs) / params.trialMs)
        if (trial >= 0 && trial < lags.length) lags[trial]!.recordValue(Math.max(1, Math.round((now - intended) * 1000)))
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
  const trials = histograms.map((h, i) => {
    const t: LatencyTrial = {
      p50: h.getValueAtPercentile(50),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      count: h.totalCount,
      unfinished,
      sendLagP99: lags[i]!.getValueAtPercentile(99),
    }
    h.destroy()
    lags[i]!.destroy()
    return t
  })
  const achieved = (completedInTrials * 1000) / (params.trials * params.trialMs)
  return overloaded === undefined ? { trials, achieved } : { trials, achieved, overloaded }
}

const SETTLED: Promise<void> = Promise.resolve()

/**
 * The generator alone: `openLoop` at `rate` with a call that settles at once, so every latency it records is the
 * generator's own (its schedule's slip, its process's pauses, the host's scheduling of it). Run it in the process
 * that runs the measured loop, right before it, so both see the same machine.
 */
export function generatorFloor(params: ScenarioParams, rate: number): Promise<OpenLoopResult> {
  return openLoop(params, () => SETTLED, rate)
}

/** One load's open-loop run, with the generator-only run at the same rate before it. */
export interface LoadRun {
  load: number
  rate: number
  result: OpenLoopResult
  /** The generator-only run at the same rate; scenarios that do not run one leave it out. */
  floor?: OpenLoopResult
}

/** Runs the generator alone and then the measured loop at each load's rate. */
export async function openLoopByLoad(params: ScenarioParams, call: Caller, rates: { load: number; rate: number }[]): Promise<LoadRun[]> {
  const runs: LoadRun[] = []
  for (const { load, rate } of rates) {
    const floor = await generatorFloor(params, rate)
    runs.push({ load, rate, floor, result: await openLoop(params, call, rate) })
  }
  return runs
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/** The generator's floor beside a figure: its trials at percentile `p`, or why it has none (it could not keep up alone). */
function floorExtra(floor: OpenLoopResult, rate: number, p: 'p50' | 'p99' | 'p999'): Record<string, unknown> {
  if (floor.overloaded !== undefined) return { generatorFloorOverloaded: overloadReason(rate, floor.overloaded) }
  return { generatorFloor: medianOf(floor.trials.map((t) => t[p])), generatorFloorTrials: floor.trials.map((t) => t[p]) }
}

/** Why an overloaded load has no latencies, for the report. */
export function overloadReason(rate: number, o: Overload): string {
  const behind = o.lateMs > OVERLOAD_BEHIND_MS ? `its calls ${(o.lateMs / 1000).toFixed(1)} s late` : `${o.outstanding} calls unanswered`
  return `overloaded: ${Math.round(rate)}/s offered, ${behind} after ${(o.atMs / 1000).toFixed(1)} s, so it stopped`
}

/**
 * The figures of a latency run: `<prefix>.p50.load25`... with the offered and achieved rates as extras, and the
 * generator's floor at the same percentile (`generatorFloor`, the median of the generator-only trials, µs) and the
 * measured loop's send lag p99 (`sendLagP99`, µs) beside each. A load that was overloaded has no values, and says so.
 */
export function latencyResults(prefix: string, byLoad: LoadRun[], extra: Record<string, unknown>): ChildResult[] {
  const ratesByLoad = Object.fromEntries(byLoad.map((l) => [l.load, Math.round(l.rate)]))
  return byLoad.flatMap(({ load, rate, result, floor }) =>
    (['p50', 'p99', 'p999'] as const).map((p) => ({
      name: `${prefix}.${p}.load${load}`,
      values: result.overloaded === undefined ? result.trials.map((t) => t[p]) : [],
      ...(result.overloaded === undefined ? {} : { skipped: overloadReason(rate, result.overloaded) }),
      extra: {
        ...extra,
        ratesByLoad,
        offeredRate: Math.round(rate),
        achievedRate: Math.round(result.achieved),
        callsPerTrial: result.trials.map((t) => t.count),
        unfinished: result.trials[0]?.unfinished ?? 0,
        ...(floor === undefined ? {} : floorExtra(floor, rate, p)),
        sendLagP99: medianOf(result.trials.map((t) => t.sendLagP99)),
        ...(result.overloaded === undefined ? {} : { overloaded: result.overloaded }),
      },
    })),
  )
}
