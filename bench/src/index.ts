/**
 * @cohort/bench — Cohort's benchmark suite. `runBenchmarks` runs each scenario in a fresh Node process beside its
 * baseline and reports medians, spreads and ratios (the run's JSON); `pnpm bench` and `cohort bench` call it.
 */
export { runBenchmarks, selectJobs, compareWithBaselines } from './runner.ts'
export { SCENARIOS, MESSAGE_SIZES, PAIRS, LOADS, MESH_NODES } from './registry.ts'
export { formatTable } from './report.ts'
export { machineFacts } from './machine.ts'

export type { BenchOptions } from './runner.ts'
export type { BenchReport, ScenarioResult, BaselineRef } from './report.ts'
export type { JobSpec, FigureSpec, Metric, Target, JobContext } from './registry.ts'
export type { MachineFacts } from './machine.ts'
