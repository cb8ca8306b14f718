import { describe, expect, it } from 'vitest'
import type { FigureSpec, JobSpec } from './registry.ts'
import { SCENARIOS } from './registry.ts'
import { interleavedGroups, planRuns, poolRounds } from './rounds.ts'

const target = { text: '≥ 70%', check: () => true }

function job(id: string, figure: Partial<FigureSpec> = {}, extra: Partial<JobSpec> = {}): JobSpec {
  return { id, file: `${id}.js`, figures: [{ name: id, metric: 'throughput', unit: 'msg/s', notes: '', ...figure }], ...extra }
}

describe('interleaved rounds', () => {
  const base = job('base')
  const a = job('a', { baselines: ['base'], target })
  const plain = job('plain', { baselines: ['base'] })
  const b = job('b', { baselines: ['base', 'a'], target })
  const jobs = [base, a, plain, b]

  it('groups the jobs of targets with the job of their primary baseline, not other comparisons', () => {
    expect(interleavedGroups(jobs)).toEqual(new Map([[base, [a, b]]]))
  })

  it('alternates a group in rounds where its baseline stands, each measuring its share of the trials', () => {
    const runs = planRuns(jobs, 3, 5).map((r) => `${r.job.id} ${r.round}/${r.rounds} ×${r.trials}`)
    expect(runs).toEqual([
      'base 1/3 ×2', 'a 1/3 ×2', 'b 1/3 ×2',
      'base 2/3 ×2', 'a 2/3 ×2', 'b 2/3 ×2',
      'base 3/3 ×2', 'a 3/3 ×2', 'b 3/3 ×2',
      'plain 1/1 ×5',
    ])
  })

  it('keeps the registry order with one round', () => {
    expect(planRuns(jobs, 1, 5).map((r) => `${r.job.id} ${r.round}/${r.rounds} ×${r.trials}`)).toEqual(['base 1/1 ×5', 'a 1/1 ×5', 'plain 1/1 ×5', 'b 1/1 ×5'])
  })

  it('leaves a baseline that runs after its figure, or a job of several phases, where it is', () => {
    const late = job('late', { baselines: ['after'], target })
    const after = job('after')
    const phased = job('phased', { baselines: ['base'], target }, { phases: 4 })
    expect(interleavedGroups([base, late, after, phased]).size).toBe(0)
  })

  it('brings the baseline a target is judged by into its rounds, from wherever it stands', () => {
    const judge = job('judge')
    const judged = job('judged', { baselines: ['base', 'judge'], target: { ...target, against: 'judge' } })
    const phasedJudge = job('phasedJudge', {}, { phases: 3 })
    const judgedByPhased = job('judgedByPhased', { baselines: ['base', 'phasedJudge'], target: { ...target, against: 'phasedJudge' } })
    const all = [base, judged, judgedByPhased, plain, judge, phasedJudge]
    expect(interleavedGroups(all)).toEqual(new Map([[base, [judged, judge, judgedByPhased]]]))
    expect(planRuns(all, 2, 4).map((r) => `${r.job.id} ${r.round}/${r.rounds}`)).toEqual([
      'base 1/2', 'judged 1/2', 'judge 1/2', 'judgedByPhased 1/2',
      'base 2/2', 'judged 2/2', 'judge 2/2', 'judgedByPhased 2/2',
      'plain 1/1', 'phasedJudge 1/1',
    ])
  })

  it('interleaves the issue targets of the real registry: 64 B and object pairs, 64 KiB with Erlang, 1 MiB, replicated writes, not the call latencies', () => {
    const groups = new Map([...interleavedGroups(SCENARIOS)].map(([head, members]) => [head.id, members.map((m) => m.id)]))
    expect(groups.get('baseline.ws-msgpackr.oneway.64B')).toEqual(['remote.oneway.64B.pairs1', 'remote.oneway.64B.pairs8', 'remote.oneway.64B.pairs64', 'remote.oneway.64B.pairs256'])
    expect(groups.get('baseline.ws-msgpackr.oneway.object')).toEqual(['remote.oneway.object.pairs1', 'remote.oneway.object.pairs8', 'remote.oneway.object.pairs64', 'replicated.writes.writers1'])
    expect(groups.get('baseline.ws-msgpackr.oneway.1MiB')).toEqual(['remote.oneway.1MiB.pairs1'])
    // 64 KiB is judged by Distributed Erlang, which runs in its rounds too.
    expect(groups.get('baseline.ws-msgpackr.oneway.64KiB')).toEqual(['remote.oneway.64KiB.pairs1', 'erlang.remote.oneway.64KiB'])
    expect(groups.get('baseline.ws.call.inflight1')).toEqual(['remote.call.inflight1'])
    expect([...groups.values()].flat()).not.toContain('remote.call.latency')
  })

  it('pools the trials of every round, their CPU too, and keeps the facts of the last', () => {
    const cpu = (total: number) => ({ total, system: total / 10 })
    const pooled = poolRounds([
      [{ name: 'x', values: [1, 2], secondary: { unit: 'MB/s', values: [10, 20] }, cpu: { sender: [cpu(1)], receiver: [cpu(0.5)] }, extra: { round: 1 } }],
      [{ name: 'x', values: [3], secondary: { unit: 'MB/s', values: [30] }, cpu: { sender: [cpu(0.9)], receiver: [cpu(0.6)] }, extra: { round: 2 } }, { name: 'y', values: [9] }],
    ])
    expect(pooled).toEqual([
      {
        name: 'x',
        values: [1, 2, 3],
        secondary: { unit: 'MB/s', values: [10, 20, 30] },
        cpu: { sender: [cpu(1), cpu(0.9)], receiver: [cpu(0.5), cpu(0.6)] },
        extra: { round: 2 },
      },
      { name: 'y', values: [9] },
    ])
  })

  it('leaves a figure unmeasured when one round could not measure it', () => {
    const pooled = poolRounds([[{ name: 'x', values: [1, 2] }], [{ name: 'x', values: [], skipped: 'overloaded' }], [{ name: 'x', values: [3] }]])
    expect(pooled).toEqual([{ name: 'x', values: [1, 2, 3], skipped: 'overloaded' }])
  })
})
