import { describe, expect, it } from 'vitest'
import type { BenchReport, ScenarioResult } from './report.ts'
import { compareWithBaselines } from './runner.ts'

function figure(name: string, median: number, extra?: Record<string, unknown>): ScenarioResult {
  return { name, metric: 'throughput', unit: 'req/s', median, baseline: null, ratio: null, skipped: null, notes: '', ...(extra === undefined ? {} : { extra }) }
}

function report(scenarios: ScenarioResult[]): BenchReport {
  return { cohortVersion: 'test', startedAt: '', machine: {} as BenchReport['machine'], quick: false, filter: null, scenarios }
}

describe('targets', () => {
  it('are judged on the ratio before rounding, which the report prints rounded', () => {
    // 409,200 against 818,600 is 0.49988 of Redis: ×0.500 when printed, but not half.
    const under = report([figure('baseline.redis.get.c50.p16', 818_600), figure('cache.resp.get.c50.p16', 409_200, { converged: true })])
    compareWithBaselines(under)
    const cohort = under.scenarios[1]!
    expect(cohort.ratio).toBe(0.5)
    expect(cohort.target).toEqual({ text: '≥ 0.5 × redis-server with two replicas, replicas converged', met: false })
    const half = report([figure('baseline.redis.get.c50.p16', 818_600), figure('cache.resp.get.c50.p16', 409_300, { converged: true })])
    compareWithBaselines(half)
    expect(half.scenarios[1]!.target?.met).toBe(true)
  })

  it('judges a second baseline before rounding too (64 KiB against Distributed Erlang)', () => {
    const scenarios = [figure('baseline.ws-msgpackr.oneway.64KiB', 40_000), figure('erlang.remote.oneway.64KiB', 30_010), figure('remote.oneway.64KiB.pairs1', 30_000)]
    const run = report(scenarios)
    compareWithBaselines(run)
    const cohort = run.scenarios[2]!
    expect(cohort.baselines?.find((b) => b.name === 'erlang.remote.oneway.64KiB')?.ratio).toBe(1)
    expect(cohort.target?.met).toBe(false)
  })
})
