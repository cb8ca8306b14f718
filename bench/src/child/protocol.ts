/**
 * The messages a scenario process sends its runner over the fork IPC channel, and the parameters it is started
 * with. One scenario process may report several named results (a latency run gives p50, p99 and p99.9 per load).
 */

/** What every scenario process receives as its first argument (JSON). */
export interface ScenarioParams {
  /** Smoke-check mode: short trials, small populations. */
  readonly quick: boolean
  readonly warmupMs: number
  readonly trialMs: number
  readonly trials: number
  /** Directory for `--cpu-prof` output of helper processes the scenario starts itself, when profiling. */
  readonly cpuProfDir: string | undefined
  /** Scenario-specific settings from the registry. */
  readonly [key: string]: unknown
}

/** One named figure measured by a scenario process: one value per trial. */
export interface ChildResult {
  readonly name: string
  readonly values: number[]
  /** The same trials in a second unit (MB/s beside msg/s). */
  readonly secondary?: { unit: string; values: number[] }
  /** The CPU each process of a two-process figure used, per trial: which one ran out says what limits it. */
  readonly cpu?: { sender: CpuShare[]; receiver?: CpuShare[] }
  /** Facts worth keeping with the figure (actor counts, the rate a latency was measured at...). */
  readonly extra?: Record<string, unknown>
  /** Why this figure has no values although its process ran (an open loop's load that was overloaded). */
  readonly skipped?: string
}

/** CPU a process used over a trial, in vCPUs (1 is one core kept busy). */
export interface CpuShare {
  /** User and system time together. */
  total: number
  /** System time alone: the kernel, mostly socket reads and writes. */
  system: number
}

/** Per trial, the CPU of the process that measures (`self`) and of the process its samples come from (`peer`). */
export interface CpuShares {
  self: CpuShare[]
  peer?: CpuShare[]
}

export type ChildMessage =
  | { type: 'results'; results: ChildResult[] }
  | { type: 'skipped'; reason: string }
  | { type: 'progress'; text: string }
