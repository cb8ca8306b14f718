/**
 * The report of a run: the run's JSON (the fixed fields plus a few more: all baselines, the secondary
 * unit, targets, the load average), and the text table printed at the end of a run.
 */
import type { CpuShare } from './child/protocol.ts'
import type { FreshMemory } from './fresh-memory.ts'
import type { SystemCallCost } from './system-call-cost.ts'
import type { HostStalls } from './host-stalls.ts'
import type { MachineFacts } from './machine.ts'

/** What a figure measures, which decides which way its ratio to a baseline points. */
export type Metric = 'throughput' | 'latency' | 'memory'

/** A figure compared with one baseline. */
export interface BaselineRef {
  name: string
  median: number
  /** Higher is better: Cohort/baseline for throughput, baseline/Cohort for latency and memory. */
  ratio: number
}

/** One figure of the JSON. Figures of a skipped scenario have no numbers. */
export interface ScenarioResult {
  name: string
  metric: Metric
  unit: string
  median?: number
  min?: number
  max?: number
  trials?: number
  values?: number[]
  secondary?: { unit: string; median: number; min: number; max: number }
  /** The primary baseline (the JSON's `baseline`). */
  baseline: { name: string; median: number } | null
  ratio: number | null
  /** Every baseline with its ratio, the primary first. */
  baselines?: BaselineRef[]
  target?: { text: string; met: boolean | null }
  skipped: string | null
  notes: string
  /** Load average (1, 5, 15 min) read just before the scenario's process started. */
  loadAvg?: number[]
  /** Wall time of the scenario's process, in seconds (of all its rounds' processes, when it ran in rounds). */
  elapsedS?: number
  /** The CPU its processes used, in vCPUs, the medians over its trials (a two-process figure; see ChildResult). */
  cpu?: { sender: CpuShare; receiver?: CpuShare }
  /** The rounds its trials were measured in, alternating with its baseline's job (rounds.ts); absent for one. */
  rounds?: number
  extra?: Record<string, unknown>
}

/** The whole JSON of a run. */
export interface BenchReport {
  cohortVersion: string
  startedAt: string
  finishedAt?: string
  machine: MachineFacts
  /** What a spinning thread per vCPU lost to stalls for a moment before the first scenario and after the last. */
  hostStalls?: { before: HostStalls; after?: HostStalls }
  /** What the first write to each 4 KiB of new memory cost, before the first scenario (fresh-memory.ts). */
  freshMemory?: FreshMemory
  /** What a system call that does no work cost from JavaScript, before the first scenario (system-call-cost.ts). */
  systemCall?: SystemCallCost
  quick: boolean
  filter: string | null
  scenarios: ScenarioResult[]
}

/** Higher is better: `baseline/cohort` for latency and memory, `cohort/baseline` otherwise. */
export function ratioOf(metric: Metric, cohort: number, baseline: number): number {
  return metric === 'throughput' ? cohort / baseline : baseline / cohort
}

/** A number for people: 1.23M, 456k, 7.8. */
export function human(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${(value / 1e9).toFixed(abs >= 1e10 ? 1 : 2)}G`
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 1 : 2)}M`
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** The figure in one short line: "612k msg/s (590k–640k)". */
export function describeFigure(r: ScenarioResult): string {
  if (r.skipped !== null) return `skipped: ${r.skipped}`
  let text = `${human(r.median)} ${r.unit} (${human(r.min)}–${human(r.max)})`
  if (r.secondary !== undefined) text += `, ${human(r.secondary.median)} ${r.secondary.unit}`
  return text
}

/** The ratios in one short line: "×0.77 ws-msgpackr, ×0.70 net-msgpackr". */
export function describeRatios(r: ScenarioResult): string {
  return (r.baselines ?? []).map((b) => `×${b.ratio.toFixed(2)} ${shortBaseline(b.name)}`).join(', ')
}

/** The CPU of a two-process figure's processes (`cpu`) in one short line: "cpu sender 1.00, receiver 0.61". */
export function describeCpu(r: ScenarioResult): string {
  if (r.cpu?.receiver === undefined) return ''
  return `cpu sender ${r.cpu.sender.total.toFixed(2)}, receiver ${r.cpu.receiver.total.toFixed(2)}`
}

/**
 * The generator's own floor beside a latency figure (`extra.generatorFloor`: the same percentile of the same open loop
 * with a call that settles at once, in the same process, at the same rate) and the measured loop's send lag p99.
 */
export function describeGeneratorFloor(r: ScenarioResult): string {
  const lag = r.extra?.['sendLagP99']
  const lagText = typeof lag === 'number' ? `, send lag p99 ${lag} µs` : ''
  const overloaded = r.extra?.['generatorFloorOverloaded']
  if (typeof overloaded === 'string') return `generator alone ${overloaded}${lagText}`
  const floor = r.extra?.['generatorFloor']
  if (typeof floor !== 'number') return ''
  return `generator alone ${floor} µs${lagText}`
}

/** A baseline's name without the parts it shares with every figure: `baseline.ws-msgpackr.oneway.64B` → `ws-msgpackr`. */
export function shortBaseline(name: string): string {
  if (name.startsWith('baseline.')) return name.split('.')[1] === 'local' ? name.slice('baseline.'.length) : (name.split('.')[1] as string)
  if (name.startsWith('erlang.')) return 'erlang'
  return name
}

/** The table printed at the end of a run. */
export function formatTable(report: BenchReport): string {
  const rows: string[][] = [['scenario', 'median', 'min–max', 'unit', 'ratio (vs baseline)', 'target']]
  for (const r of report.scenarios) {
    if (r.skipped !== null) {
      rows.push([r.name, '—', '', '', `skipped: ${r.skipped}`, ''])
      continue
    }
    rows.push([
      r.name,
      human(r.median) + (r.secondary !== undefined ? ` (${human(r.secondary.median)} ${r.secondary.unit})` : ''),
      `${human(r.min)}–${human(r.max)}`,
      r.unit,
      describeRatios(r),
      r.target === undefined ? '' : `${r.target.met === null ? '?' : r.target.met ? 'met' : 'MISSED'}: ${r.target.text}`,
    ])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)))
  const line = (row: string[]): string =>
    row
      .map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd()
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ')]
  for (const row of rows.slice(1)) out.push(line(row))
  return out.join('\n')
}
