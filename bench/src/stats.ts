/**
 * Statistics over trial values: the median and the min–max spread every figure reports. No averages: one slow trial on
 * a shared machine should move the spread, not the headline.
 */
import type { CpuShare } from './child/protocol.ts'

/** The median of `values` (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median, min and max of `values`. */
export function summarize(values: readonly number[]): { median: number; min: number; max: number } {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

/** The medians of CPU shares (one per trial): total and kernel time each on its own. */
export function medianCpu(shares: readonly CpuShare[]): CpuShare {
  const hundredths = (v: number): number => Math.round(v * 100) / 100
  return { total: hundredths(median(shares.map((s) => s.total))), system: hundredths(median(shares.map((s) => s.system))) }
}

/** Rounds to `digits` significant digits, keeping the JSON readable. */
export function roundSignificant(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const factor = 10 ** (digits - 1 - magnitude)
  return Math.round(value * factor) / factor
}
