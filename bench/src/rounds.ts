/**
 * Interleaved rounds: the order in which the runner starts scenario processes, so that a target's ratio compares two
 * figures measured over the same minutes.
 *
 * On a shared machine a baseline measured once, a minute before the figure compared with it, carries that minute's
 * luck into the ratio: bare ws sent the same objects at anywhere from 4.4M to 5.6M msg/s in one afternoon, and a
 * target sat on either side of its line with the send path unchanged. So a job with a target compared with another
 * job's figure runs in rounds that alternate with that baseline's job: baseline, the jobs compared with it, baseline,
 * and so on. Each round is a fresh process (with its own warm-up) measuring its share of the trials, and each figure
 * is the median of all its trials. Drift then lands on both sides of a ratio alike.
 */
import type { ChildResult, CpuShare } from './child/protocol.ts'
import type { JobSpec } from './registry.ts'

/** One scenario process the runner starts: a job, in which of how many rounds, measuring how many trials. */
export interface PlannedRun {
  readonly job: JobSpec
  readonly round: number
  readonly rounds: number
  readonly trials: number
}

/**
 * The jobs measured in rounds with each baseline's job: those with a figure that has a target and a primary baseline
 * measured by an earlier job, both single-phase (a latency job's baseline runs after it, at the rates it measured,
 * so it is already measured next to it). A target judged by another baseline (`against`) brings that baseline's job
 * into the same rounds, wherever it stands, when it is single-phase and in no group yet.
 */
export function interleavedGroups(jobs: readonly JobSpec[]): Map<JobSpec, JobSpec[]> {
  const owner = new Map<string, JobSpec>()
  for (const job of jobs) for (const figure of job.figures) owner.set(figure.name, job)
  const groups = new Map<JobSpec, JobSpec[]>()
  const grouped = new Set<JobSpec>()
  jobs.forEach((job, index) => {
    if ((job.phases ?? 1) !== 1 || grouped.has(job)) return
    for (const figure of job.figures) {
      const primary = figure.baselines?.[0]
      const head = primary === undefined ? undefined : owner.get(primary)
      if (figure.target === undefined || head === undefined || head === job || (head.phases ?? 1) !== 1) continue
      if (jobs.indexOf(head) > index) continue
      const members = groups.get(head) ?? []
      members.push(job)
      grouped.add(job)
      const against = figure.target.against === undefined ? undefined : owner.get(figure.target.against)
      if (against !== undefined && against !== head && against !== job && (against.phases ?? 1) === 1 && !grouped.has(against) && !groups.has(against)) {
        members.push(against)
        grouped.add(against)
      }
      groups.set(head, members)
      return
    }
  })
  return groups
}

/**
 * The runs of `jobs`, in order. With one round this is the jobs' own order, each measuring `trials`. With more, each
 * interleaved group (`interleavedGroups`) runs where its baseline's job stands, `rounds` times over, each of its
 * processes measuring `ceil(trials / rounds)` trials; every other job runs once, measuring `trials`.
 */
export function planRuns(jobs: readonly JobSpec[], rounds: number, trials: number): PlannedRun[] {
  if (rounds <= 1) return jobs.map((job) => ({ job, round: 1, rounds: 1, trials }))
  const groups = interleavedGroups(jobs)
  const members = new Set([...groups.values()].flat())
  const perRound = Math.ceil(trials / rounds)
  const runs: PlannedRun[] = []
  for (const job of jobs) {
    if (members.has(job)) continue
    const group = groups.get(job)
    if (group === undefined) {
      runs.push({ job, round: 1, rounds: 1, trials })
      continue
    }
    for (let round = 1; round <= rounds; round++) {
      for (const j of [job, ...group]) runs.push({ job: j, round, rounds, trials: perRound })
    }
  }
  return runs
}

/**
 * One result per figure from the results of a job's rounds, in the order of the first round: the trials of every
 * round (their second unit and their CPU too) pooled, the facts (`extra`) of the last round that reported the figure,
 * and the reason of the first round that could not measure it (`skipped`), which leaves the figure unmeasured.
 */
export function poolRounds(rounds: readonly (readonly ChildResult[])[]): ChildResult[] {
  const pooled = new Map<string, { values: number[]; secondary?: { unit: string; values: number[] }; cpu?: { sender: CpuShare[]; receiver?: CpuShare[] }; extra?: Record<string, unknown>; skipped?: string }>()
  for (const results of rounds) {
    for (const r of results) {
      let p = pooled.get(r.name)
      if (p === undefined) {
        p = { values: [] }
        pooled.set(r.name, p)
      }
      p.values.push(...r.values)
      if (r.secondary !== undefined) {
        p.secondary ??= { unit: r.secondary.unit, values: [] }
        p.secondary.values.push(...r.secondary.values)
      }
      if (r.cpu !== undefined) {
        p.cpu ??= { sender: [] }
        p.cpu.sender.push(...r.cpu.sender)
        if (r.cpu.receiver !== undefined) (p.cpu.receiver ??= []).push(...r.cpu.receiver)
      }
      if (r.extra !== undefined) p.extra = r.extra
      // A round that could not measure the figure (an overloaded load) leaves it unmeasured: the other rounds' values
      // alone would hide that the system failed to keep up in one.
      if (r.skipped !== undefined) p.skipped ??= r.skipped
    }
  }
  return [...pooled].map(([name, p]) => ({
    name,
    values: p.values,
    ...(p.secondary !== undefined ? { secondary: p.secondary } : {}),
    ...(p.cpu !== undefined ? { cpu: p.cpu } : {}),
    ...(p.extra !== undefined ? { extra: p.extra } : {}),
    ...(p.skipped !== undefined ? { skipped: p.skipped } : {}),
  }))
}
