/**
 * The scenario side of the runner: reads the parameters, runs the scenario, reports its results over IPC and exits.
 * Every scenario file calls `runScenario` once at top level.
 */
import type { ChildMessage, ChildResult, CpuShare, CpuShares, ScenarioParams } from './protocol.ts'

/** Thrown by a scenario that cannot run here (no `erl`, say); reported as skipped with the message. */
export class SkipScenario extends Error {
  override name = 'SkipScenario'
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      // Run by hand (node dist/scenarios/x.js '{...}'): print instead.
      console.log(JSON.stringify(message, null, 2))
      resolve()
      return
    }
    process.send(message, () => resolve())
  })
}

/** Prints a line under the runner's progress line (shown only with --verbose). */
export function progress(text: string): void {
  void send({ type: 'progress', text })
}

/** Runs `scenario` with the parameters given on the command line, reports, and exits the process. */
export function runScenario<P extends ScenarioParams>(scenario: (params: P) => Promise<ChildResult[]>): void {
  const params = JSON.parse(process.argv[2] ?? '{}') as P
  scenario(params).then(
    async (results) => {
      await send({ type: 'results', results })
      process.exit(0)
    },
    async (error: unknown) => {
      if (error instanceof SkipScenario) {
        await send({ type: 'skipped', reason: error.message })
        process.exit(0)
      }
      console.error(error)
      process.exit(1)
    },
  )
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Milliseconds from a monotonic clock. */
export function nowMs(): number {
  return performance.now()
}

/** Runs the garbage collector when the process has --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    gc()
    gc()
  }
}

/** A reading of a running workload: how many messages (and bytes) it has handled, and when it was read. */
export interface Sample {
  count: number
  bytes?: number
  atMs: number
  /** The reading process's CPU time so far (`process.cpuUsage()`), when another process takes the reading. */
  cpu?: NodeJS.CpuUsage
}

/**
 * Measures a rate sampled from a running workload: waits out the warm-up, then reads `sample()` (possibly from
 * another process, which reads its count and clock together) at the start and end of each trial. Returns one rate
 * per trial in units per second, bytes per second when the samples carry bytes, and the CPU both processes used in
 * each trial: which of them ran out of CPU is what limits a figure between two processes.
 */
export async function sampleRates(
  params: ScenarioParams,
  sample: () => Promise<Sample> | Sample,
): Promise<{ rates: number[]; byteRates: number[]; cpu: CpuShares }> {
  await sleep(params.warmupMs)
  const rates: number[] = []
  const byteRates: number[] = []
  const selfShares: CpuShare[] = []
  const peerShares: CpuShare[] = []
  let last = await sample()
  let lastSelf = process.cpuUsage()
  for (let i = 0; i < params.trials; i++) {
    await sleep(params.trialMs)
    const next = await sample()
    const nextSelf = process.cpuUsage()
    const seconds = (next.atMs - last.atMs) / 1000
    rates.push((next.count - last.count) / seconds)
    byteRates.push(((next.bytes ?? 0) - (last.bytes ?? 0)) / seconds)
    selfShares.push(cpuShare(lastSelf, nextSelf, seconds))
    if (last.cpu !== undefined && next.cpu !== undefined) peerShares.push(cpuShare(last.cpu, next.cpu, seconds))
    last = next
    lastSelf = nextSelf
  }
  const cpu: CpuShares = { self: selfShares }
  if (peerShares.length > 0) cpu.peer = peerShares
  return { rates, byteRates, cpu }
}

function cpuShare(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage, seconds: number): CpuShare {
  const user = (to.user - from.user) / 1e6 / seconds
  const system = (to.system - from.system) / 1e6 / seconds
  return { total: Math.round((user + system) * 100) / 100, system: Math.round(system * 100) / 100 }
}
