/**
 * runBenchmarks: runs the selected scenarios, each in a fresh Node process (forked from its compiled file), after a
 * warm-up and for a few trials; reports the median and min–max of the trials, the ratio to each baseline measured
 * in the same run, and the machine's facts. Writes the run's JSON to bench/results/ (latest.json and a
 * timestamped copy) and, for a full run, RESULTS.md's generated part and the SVG charts. `pnpm bench` (run.ts) and
 * the CLI's `cohort bench` both call this one implementation.
 */
import { RECOMMENDED_GLIBC_TUNABLES, RECOMMENDED_NODE_FLAGS } from '@cohort/transport'
import { fork } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, ChildResult } from './child/protocol.ts'
import { writeCharts } from './charts.ts'
import { describeFreshMemory, measureFreshMemory } from './fresh-memory.ts'
import { describeSystemCallCost, measureSystemCallCost } from './system-call-cost.ts'
import { describeStalls, measureHostStalls } from './host-stalls.ts'
import { cohortVersion, machineFacts } from './machine.ts'
import { summarizeProfiles } from './profile-summary.ts'
import { SCENARIOS } from './registry.ts'
import { planRuns, poolRounds } from './rounds.ts'
import type { FigureSpec, JobSpec } from './registry.ts'
import { describeCpu, describeFigure, describeGeneratorFloor, describeRatios, formatTable, ratioOf } from './report.ts'
import type { BenchReport, ScenarioResult } from './report.ts'
import { writeResultsMarkdown } from './results-markdown.ts'
import { medianCpu, roundSignificant, summarize } from './stats.ts'

/** Options of `runBenchmarks`. */
export interface BenchOptions {
  /** A smoke check: every scenario once, short trials, small populations; well under a minute. @default false */
  quick?: boolean
  /**
   * Run only scenarios whose names match one of these patterns (a substring, or a glob with `*`); the baselines they
   * are compared with run too. @default every scenario
   */
  filter?: readonly string[]
  /** Where progress lines go. @default writes to stderr */
  log?: (line: string) => void
  /** Also pass on the lines the scenario processes print. @default false */
  verbose?: boolean
  /** Trials per scenario. @default 5 (2 with quick) */
  trials?: number
  /**
   * Rounds of the jobs with a target compared with another job's figure: each runs this many times, alternating with
   * its baseline's job, measuring `ceil(trials / rounds)` trials each time (rounds.ts). 1 runs every job once.
   * @default 3 (1 with quick)
   */
  rounds?: number
  /** Milliseconds per trial. @default 1000 (250 with quick) */
  trialMs?: number
  /** Milliseconds of warm-up before the first trial. @default 1000 (150 with quick) */
  warmupMs?: number
  /** Write latest.json and a timestamped copy into `resultsDir`. @default true */
  writeResults?: boolean
  /** Where the JSON goes. @default bench/results */
  resultsDir?: string
  /**
   * Run the scenario processes with glibc's allocator defaults instead of the transport's recommended
   * `GLIBC_TUNABLES` (`RECOMMENDED_GLIBC_TUNABLES`, which every Cohort deployment sets; see the transport README).
   * @default false
   */
  mallocDefaults?: boolean
  /**
   * Run the scenario processes (and the helper and server processes they start) without the transport's
   * `RECOMMENDED_NODE_FLAGS`, which every Cohort deployment starts Node with (see the transport README).
   * @default false
   */
  nodeDefaults?: boolean
  /**
   * Write RESULTS.md's generated part and the charts. @default true for a full run (no quick, no filter) that writes
   * its results: the tables then always describe the run in latest.json
   */
  writeReport?: boolean
  /**
   * Profile every scenario process (and the helper processes it starts) with --cpu-prof into this directory, and
   * write the top self-time functions of each profile beside them. @default undefined (no profiling)
   */
  cpuProfDir?: string
  /**
   * Milliseconds the host-stall probe (host-stalls.ts) spins a thread per vCPU before the first scenario and after the
   * last; 0 leaves it out. @default 2000 (500 with quick)
   */
  hostStallsMs?: number
}

/** bench/, whether running from dist/ or src/. */
export const BENCH_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '..')
const SCENARIO_DIR = join(BENCH_DIR, 'dist', 'scenarios')

function matcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name.includes(pattern)
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
  return (name) => re.test(name)
}

/** The jobs a filter selects, plus the jobs that measure the baselines of the figures it selects, in registry order. */
export function selectJobs(filter: readonly string[] | undefined): JobSpec[] {
  if (filter === undefined || filter.length === 0) return [...SCENARIOS]
  const matchers = filter.map(matcher)
  const selected = new Set<JobSpec>()
  const wanted = new Set<string>()
  for (const job of SCENARIOS) {
    if (job.figures.some((f) => matchers.some((m) => m(f.name))) || matchers.some((m) => m(job.id))) {
      selected.add(job)
      for (const f of job.figures) for (const b of f.baselines ?? []) wanted.add(b)
    }
  }
  for (const job of SCENARIOS) if (job.figures.some((f) => wanted.has(f.name))) selected.add(job)
  return SCENARIOS.filter((job) => selected.has(job))
}

interface JobOutcome {
  results: ChildResult[]
  skipped: string | null
  failed: string | null
  elapsedS: number
}

/**
 * The allocator environment of every scenario process (helpers inherit it): the transport's recommended setting,
 * unless the caller's environment has its own or `mallocDefaults` asks for glibc's defaults. Baselines and Cohort
 * run alike, so ratios are unaffected by the choice; absolute large-message figures are not.
 */
function allocatorEnv(options: BenchOptions): { GLIBC_TUNABLES?: string } {
  if (process.env['GLIBC_TUNABLES'] !== undefined) return { GLIBC_TUNABLES: process.env['GLIBC_TUNABLES'] }
  return options.mallocDefaults === true ? {} : { GLIBC_TUNABLES: RECOMMENDED_GLIBC_TUNABLES }
}

/**
 * The Node flags every scenario process starts with, before its job's own: the transport's recommended ones unless
 * `nodeDefaults`. The processes a scenario starts take them over from it (child/node-flags.ts), so baselines and
 * Cohort run alike.
 */
export function nodeFlags(options: BenchOptions): string[] {
  return options.nodeDefaults === true ? [] : [...RECOMMENDED_NODE_FLAGS]
}

function runJob(job: JobSpec, params: Record<string, unknown>, timeoutMs: number, options: BenchOptions, log: (line: string) => void): Promise<JobOutcome> {
  const execArgv = [...nodeFlags(options), ...(job.execArgv ?? [])]
  if (options.cpuProfDir !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${job.id}.${Date.now()}.cpuprofile`)
  const started = performance.now()
  return new Promise((resolve) => {
    const child = fork(join(SCENARIO_DIR, job.file!), [JSON.stringify(params)], {
      execArgv,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production', ...allocatorEnv(options) },
    })
    let output = ''
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString()
      output = (output + text).slice(-4000)
      if (options.verbose === true) for (const line of text.trimEnd().split('\n')) log(`      | ${line}`)
    }
    child.stdout!.on('data', collect)
    child.stderr!.on('data', collect)
    let results: ChildResult[] | undefined
    let skipped: string | null = null
    child.on('message', (raw: unknown) => {
      const m = raw as ChildMessage
      if (m.type === 'results') results = m.results
      else if (m.type === 'skipped') skipped = m.reason
      else if (m.type === 'progress' && options.verbose === true) log(`      ${m.text}`)
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const elapsedS = (performance.now() - started) / 1000
      const lastLine = output.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ')
      if (skipped !== null) resolve({ results: [], skipped, failed: null, elapsedS })
      else if (timedOut) resolve({ results: [], skipped: null, failed: `timed out after ${timeoutMs / 1000} s ${lastLine}`.trim(), elapsedS })
      else if (code !== 0 || results === undefined) {
        if (output.trim() !== '' && options.verbose !== true) log(output.trimEnd().split('\n').map((l) => `      | ${l}`).join('\n'))
        resolve({ results: [], skipped: null, failed: `exited with ${code ?? signal}: ${lastLine}`, elapsedS })
      } else resolve({ results, skipped: null, failed: null, elapsedS })
    })
  })
}

function figureResult(figure: FigureSpec, r: ChildResult | undefined, skipped: string | null, loadAvg: number[], elapsedS: number | undefined): ScenarioResult {
  const base: ScenarioResult = { name: figure.name, metric: figure.metric, unit: figure.unit, baseline: null, ratio: null, skipped, notes: figure.notes }
  if (r === undefined || skipped !== null) return { ...base, skipped: skipped ?? 'not reported by its scenario process' }
  // Kept with the reason: a later job may read its extras (the baseline's latency job takes Cohort's rates from them).
  if (r.skipped !== undefined) return { ...base, skipped: r.skipped, ...(r.extra !== undefined ? { extra: r.extra } : {}) }
  const s = summarize(r.values)
  const result: ScenarioResult = {
    ...base,
    median: roundSignificant(s.median),
    min: roundSignificant(s.min),
    max: roundSignificant(s.max),
    trials: r.values.length,
    values: r.values.map((v) => roundSignificant(v)),
    loadAvg: loadAvg.map((l) => Math.round(l * 100) / 100),
    ...(elapsedS !== undefined ? { elapsedS: Math.round(elapsedS * 10) / 10 } : {}),
  }
  if (r.secondary !== undefined) {
    const s2 = summarize(r.secondary.values)
    result.secondary = { unit: r.secondary.unit, median: roundSignificant(s2.median), min: roundSignificant(s2.min), max: roundSignificant(s2.max) }
  }
  if (r.cpu !== undefined) {
    result.cpu = { sender: medianCpu(r.cpu.sender) }
    if (r.cpu.receiver !== undefined) result.cpu.receiver = medianCpu(r.cpu.receiver)
  }
  if (r.extra !== undefined) result.extra = r.extra
  return result
}

/** Fills `baseline`, `ratio`, `baselines` and `target` of every figure from the figures of the same run. */
export function compareWithBaselines(report: BenchReport): void {
  const byName = new Map(report.scenarios.map((r) => [r.name, r]))
  const specs = new Map(SCENARIOS.flatMap((j) => j.figures.map((f) => [f.name, f] as const)))
  for (const r of report.scenarios) {
    const spec = specs.get(r.name)
    if (spec === undefined || r.median === undefined) continue
    const refs = []
    const exact = []
    for (const name of spec.baselines ?? []) {
      const b = byName.get(name)
      if (b?.median === undefined || b.median === 0) continue
      const ratio = ratioOf(r.metric, r.median, b.median)
      exact.push({ name, median: b.median, ratio })
      refs.push({ name, median: b.median, ratio: roundSignificant(ratio, 3) })
    }
    const primary = spec.baselines?.[0]
    const first = refs.find((b) => b.name === primary)
    r.baseline = first === undefined ? null : { name: first.name, median: first.median }
    r.ratio = first === undefined ? null : first.ratio
    if (refs.length > 0) r.baselines = refs
    if (spec.target !== undefined) {
      // Judged on the ratios before rounding: 0.49988 of Redis, printed as ×0.500, is not half of it.
      const judged = { ...r, ratio: exact.find((b) => b.name === primary)?.ratio ?? null, ...(exact.length > 0 ? { baselines: exact } : {}) }
      r.target = { text: spec.target.text, met: spec.target.check(judged, report.quick) ?? null }
    }
  }
}

/** Runs the benchmarks and returns the report (also written to bench/results/ unless told otherwise). */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchReport & { failures: number }> {
  const quick = options.quick === true
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const trials = options.trials ?? (quick ? 2 : 5)
  const trialMs = options.trialMs ?? (quick ? 250 : 1000)
  const warmupMs = options.warmupMs ?? (quick ? 150 : 1000)
  const rounds = options.rounds ?? (quick ? 1 : 3)
  const filtered = options.filter !== undefined && options.filter.length > 0
  const jobs = selectJobs(options.filter)
  const corePackage = JSON.parse(readFileSync(join(BENCH_DIR, '..', 'packages', 'core', 'package.json'), 'utf8')) as { version: string }
  const report: BenchReport = {
    cohortVersion: cohortVersion(join(BENCH_DIR, '..'), corePackage.version),
    startedAt: new Date().toISOString(),
    machine: { ...machineFacts(), glibcTunables: allocatorEnv(options).GLIBC_TUNABLES ?? null, nodeFlags: nodeFlags(options) },
    quick,
    filter: filtered ? options.filter!.join(',') : null,
    scenarios: [],
  }
  const m = report.machine
  log(`cohort bench ${report.cohortVersion}${quick ? ' --quick' : ''}: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.os} ${m.kernel}, hypervisor ${m.hypervisor === undefined ? 'unknown' : (m.hypervisor ?? 'none')}, bufferutil ${m.bufferutil ? 'yes' : 'no'}, erlang ${m.erlang ?? 'not installed'}, GLIBC_TUNABLES ${m.glibcTunables ?? 'unset'}, node flags ${m.nodeFlags?.join(' ') || 'none'}`)
  log(`${jobs.length} scenarios; ${trials} trials of ${trialMs} ms after ${warmupMs} ms of warm-up${rounds > 1 ? `, targets in ${rounds} rounds alternating with their baselines` : ''}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true })
  // Half a second on this suite's host; a probe that fails costs the run its line about the host, not the run.
  try {
    report.freshMemory = measureFreshMemory()
    log(`fresh memory: ${describeFreshMemory(report.freshMemory)}`)
  } catch (error) {
    log(`fresh-memory probe failed, left out of this run: ${(error as Error).message}`)
  }
  // Half a second here; a probe that fails costs the run its line about the host, not the run.
  try {
    report.systemCall = measureSystemCallCost()
    log(`system calls: ${describeSystemCallCost(report.systemCall)}`)
  } catch (error) {
    log(`system-call probe failed, left out of this run: ${(error as Error).message}`)
  }
  const stallsMs = options.hostStallsMs ?? (quick ? 500 : 2000)
  if (stallsMs > 0) {
    // A probe that fails costs the run its line about the host, not the run.
    try {
      report.hostStalls = { before: await measureHostStalls(stallsMs) }
      log(`host stalls, a thread spinning on each vCPU for ${stallsMs} ms: ${describeStalls(report.hostStalls.before)}`)
    } catch (error) {
      log(`host-stall probe failed, left out of this run: ${(error as Error).message}`)
    }
  }
  const byName = new Map<string, ScenarioResult>()
  let failures = 0
  const runs = planRuns(jobs, rounds, trials)
  /** The rounds of an interleaved job measured so far. */
  const partial = new Map<JobSpec, { results: ChildResult[][]; loadAvg: number[]; elapsedS: number }>()
  let index = 0
  for (const run of runs) {
    const { job } = run
    index++
    // An earlier round failed or was skipped: the job's figures already say so.
    if (byName.has(job.figures[0]!.name)) continue
    const prefix = `[${String(index).padStart(String(runs.length).length)}/${runs.length}]`
    let outcome: JobOutcome
    const loadAvg = os.loadavg()
    if (job.file === undefined || job.planned !== undefined) {
      outcome = { results: [], skipped: job.planned ?? 'planned', failed: null, elapsedS: 0 }
    } else if (quick && job.quick === false) {
      outcome = { results: [], skipped: 'not run with --quick', failed: null, elapsedS: 0 }
    } else {
      const params = { quick, warmupMs, trialMs, trials: run.trials, cpuProfDir: options.cpuProfDir, ...(job.params?.({ quick, results: byName }) ?? {}) }
      const timeoutMs = ((warmupMs + run.trials * trialMs) * (job.phases ?? 1) * 3 + (job.extraTimeoutS ?? 60) * 1000) | 0
      outcome = await runJob(job, params, timeoutMs, options, log)
    }
    const head = run.rounds > 1 ? `${prefix} ${job.id} (round ${run.round}/${run.rounds})` : `${prefix} ${job.id}`
    if (run.rounds > 1 && outcome.failed === null && outcome.skipped === null) {
      const sofar = partial.get(job) ?? { results: [], loadAvg, elapsedS: 0 }
      sofar.results.push(outcome.results)
      sofar.elapsedS += outcome.elapsedS
      partial.set(job, sofar)
      if (run.round < run.rounds) {
        const f = figureResult(job.figures[0]!, outcome.results.find((r) => r.name === job.figures[0]!.name), null, loadAvg, outcome.elapsedS)
        const cpu = describeCpu(f)
        log(`${head.padEnd(60)} ${describeFigure(f)}${cpu === '' ? '' : `  ${cpu}`}  load ${loadAvg[0]!.toFixed(2)}  ${outcome.elapsedS.toFixed(1)} s`)
        continue
      }
      outcome = { ...outcome, results: poolRounds(sofar.results), elapsedS: sofar.elapsedS }
    }
    if (outcome.failed !== null) failures++
    const firstLoadAvg = partial.get(job)?.loadAvg ?? loadAvg
    const childResults = new Map(outcome.results.map((r) => [r.name, r]))
    for (const figure of job.figures) {
      const reason = outcome.failed !== null ? `failed: ${outcome.failed}` : outcome.skipped
      const result = figureResult(figure, childResults.get(figure.name), reason, firstLoadAvg, outcome.elapsedS)
      if (run.rounds > 1) result.rounds = run.rounds
      report.scenarios.push(result)
      byName.set(result.name, result)
    }
    compareWithBaselines(report)
    const figures = job.figures.map((f) => byName.get(f.name)!)
    if (figures.length === 1 || figures.every((f) => f.skipped !== null)) {
      const f = figures[0]!
      const ratios = f.skipped === null ? describeRatios(f) : ''
      const cpu = f.skipped === null ? describeCpu(f) : ''
      log(`${head.padEnd(run.rounds > 1 ? 60 : 48)} ${describeFigure(f)}${ratios === '' ? '' : `  ${ratios}`}${cpu === '' ? '' : `  ${cpu}`}  load ${loadAvg[0]!.toFixed(2)}  ${outcome.elapsedS.toFixed(1)} s`)
    } else {
      log(`${head.padEnd(48)} load ${loadAvg[0]!.toFixed(2)}  ${outcome.elapsedS.toFixed(1)} s`)
      for (const f of figures) {
        const ratios = f.skipped === null ? describeRatios(f) : ''
        const floor = f.skipped === null ? describeGeneratorFloor(f) : ''
        log(`    ${f.name.padEnd(44)} ${describeFigure(f)}${ratios === '' ? '' : `  ${ratios}`}${floor === '' ? '' : `  (${floor})`}`)
      }
    }
  }
  compareWithBaselines(report)
  if (report.hostStalls !== undefined) {
    try {
      report.hostStalls.after = await measureHostStalls(stallsMs)
      log(`host stalls after the run: ${describeStalls(report.hostStalls.after)}`)
    } catch (error) {
      log(`host-stall probe after the run failed: ${(error as Error).message}`)
    }
  }
  report.finishedAt = new Date().toISOString()
  if (options.writeResults !== false) {
    const dir = options.resultsDir ?? join(BENCH_DIR, 'results')
    mkdirSync(dir, { recursive: true })
    const json = `${JSON.stringify(report, null, 2)}\n`
    writeFileSync(join(dir, 'latest.json'), json)
    writeFileSync(join(dir, `${report.startedAt.replace(/[:.]/g, '-')}.json`), json)
  }
  if (options.writeReport ?? (!quick && !filtered && options.writeResults !== false)) {
    const charts = writeCharts(report, join(BENCH_DIR, 'charts'))
    writeResultsMarkdown(report, join(BENCH_DIR, 'RESULTS.md'), charts, formatTable(report))
  }
  if (options.cpuProfDir !== undefined) {
    const summary = summarizeProfiles(options.cpuProfDir, 25)
    writeFileSync(join(options.cpuProfDir, 'summary.txt'), summary)
    log(`profiles and their top self-time functions: ${options.cpuProfDir}/summary.txt`)
  }
  return { ...report, failures }
}
