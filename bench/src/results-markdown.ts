/**
 * RESULTS.md: the runner rewrites the part between the `generated` markers (run facts, headline ratios, the table
 * with what limits each figure, the charts) and keeps everything outside them (hand-written findings, profiles).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { describeFreshMemory } from './fresh-memory.ts'
import { describeSystemCallCost } from './system-call-cost.ts'
import { describeStalls } from './host-stalls.ts'
import { describeGeneratorFloor, describeRatios, human } from './report.ts'
import type { BenchReport, ScenarioResult } from './report.ts'
import type { CpuShare } from './child/protocol.ts'

const START = '<!-- generated:start (bench/src/results-markdown.ts rewrites this part on every full run) -->'
const END = '<!-- generated:end -->'

const HEADLINES: { name: string; what: string }[] = [
  { name: 'local.send', what: 'local one-way send vs a plain array queue' },
  { name: 'local.ring', what: '1,000-actor token ring vs plain queues' },
  { name: 'local.call', what: 'local call round trip vs a plain promise round trip' },
  { name: 'local.spawn', what: 'spawns/s vs plain object + Map entry' },
  { name: 'local.memory.server', what: 'bytes per idle server actor vs a plain object with a queue' },
  { name: 'remote.oneway.64B.pairs1', what: 'two nodes, 64 B one-way vs bare ws+msgpackr / net / Erlang' },
  { name: 'remote.oneway.64B.pairs64', what: 'two nodes, 64 B one-way, 64 sender/receiver pairs' },
  { name: 'remote.oneway.object.pairs1', what: 'two nodes, ~100-byte object one-way (the transport issue\'s message)' },
  { name: 'remote.oneway.object.pairs64', what: 'two nodes, ~100-byte object one-way, 64 pairs' },
  { name: 'remote.oneway.1KiB.pairs1', what: 'two nodes, 1 KiB one-way' },
  { name: 'remote.oneway.64KiB.pairs1', what: 'two nodes, 64 KiB one-way' },
  { name: 'remote.oneway.1MiB.pairs1', what: 'two nodes, 1 MiB one-way' },
  { name: 'remote.oneway.64KiB.tls.pairs1', what: 'two nodes, 64 KiB one-way over wss:// vs the same over ws://' },
  { name: 'remote.call.inflight1', what: 'call round trips, 1 in flight vs bare ws ping-pong / Erlang' },
  { name: 'remote.call.inflight1.p50', what: "a call's round trip, p50, 1 in flight vs a bare ws ping-pong (the transport issue's latency target)" },
  { name: 'remote.call.inflight100', what: 'call round trips, 100 in flight vs bare ws' },
  { name: 'remote.call.p99.load50', what: 'call p99 at 50% load vs bare ws (ratio = ws/Cohort)' },
  { name: 'mesh.nodes8', what: '8-node mesh aggregate vs 2-node mesh' },
]

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

function figure(r: ScenarioResult): string {
  if (r.skipped !== null) return `skipped: ${r.skipped}`
  return `${human(r.median)} ${r.unit}${r.secondary === undefined ? '' : ` (${human(r.secondary.median)} ${r.secondary.unit})`}`
}

/**
 * The CPU each process of a two-process figure used (`cpu`, medians over its trials), before the notes: the process
 * at a full vCPU is the one that limits the figure.
 */
function measuredCpu(r: ScenarioResult): string {
  if (r.cpu?.receiver === undefined) return ''
  const share = (s: CpuShare): string => `${s.total.toFixed(2)} vCPU (${s.system.toFixed(2)} in the kernel)`
  return `measured: sender ${share(r.cpu.sender)}, receiver ${share(r.cpu.receiver)}. `
}

/** The generator's floor before a latency figure's notes: a tail the generator alone shows is not the system's. */
function generatorFloor(r: ScenarioResult): string {
  const text = describeGeneratorFloor(r)
  return text === '' ? '' : `${text}. `
}

/** How many figures were measured in rounds alternating with their baselines (rounds.ts), if any were. */
function roundsSentence(report: BenchReport): string {
  const inRounds = report.scenarios.filter((r) => r.rounds !== undefined)
  if (inRounds.length === 0) return ''
  return ` ${inRounds.length} figures, those with a target and their baselines, ran in ${inRounds[0]!.rounds} rounds, alternating, each round a fresh process measuring its share of the trials, so that drift in the machine lands on both sides of a ratio alike.`
}

/** What the host-stall probe saw before and after the run, if it ran. */
function stallsSentence(report: BenchReport): string {
  const s = report.hostStalls
  if (s === undefined) return ''
  const after = s.after === undefined ? '' : `; after the last: ${describeStalls(s.after)}`
  return ` Host stalls (a thread spinning on each vCPU for ${s.before.durationMs} ms, timing the gaps in its own clock reads): before the first scenario ${describeStalls(s.before)}${after}.`
}

/** What the first write to new memory cost before the run, if the probe ran. */
function freshMemorySentence(report: BenchReport): string {
  const f = report.freshMemory
  if (f === undefined) return ''
  return ` Fresh memory (one byte written to each 4 KiB of new allocations, then again): ${describeFreshMemory(f)}.`
}

/** What a system call cost before the run, if the probe ran. */
function systemCallSentence(report: BenchReport): string {
  const c = report.systemCall
  if (c === undefined) return ''
  return ` A system call that does no work: ${describeSystemCallCost(c)}.`
}

/** ", under the PVM hypervisor", ", on bare metal", or nothing for a report that did not record it. */
function hypervisorPart(hypervisor: string | null | undefined): string {
  if (hypervisor === undefined) return ''
  if (hypervisor === null) return ', on bare metal'
  return hypervisor === 'unnamed' ? ', under a hypervisor not named in the kernel log (unreadable, or its boot lines rotated out)' : `, under the ${hypervisor} hypervisor`
}

/** The Node flags of the run, for the machine line; nothing for reports made before they were recorded. */
function nodeFlagsPart(flags: string[] | undefined): string {
  if (flags === undefined) return ''
  return `; Node flags of every Node process: ${flags.length === 0 ? 'none (Node defaults)' : flags.join(' ')}`
}

export function generatedSection(report: BenchReport, charts: string[], table: string): string {
  const m = report.machine
  const lines: string[] = []
  lines.push(START)
  lines.push('')
  lines.push(`Run of ${report.startedAt} on Cohort \`${report.cohortVersion}\`${report.quick ? ' (**--quick**: smoke check, not figures to quote)' : ''}${report.filter === null ? '' : ` (filter \`${report.filter}\`)`}.`)
  lines.push('')
  lines.push(`Machine: ${m.cpu}, ${m.cores} vCPUs, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os} ${m.kernel}${hypervisorPart(m.hypervisor)}; ws native masking (bufferutil): ${m.bufferutil ? 'yes' : 'no'}; Erlang/OTP: ${m.erlang ?? 'not installed'}; GLIBC_TUNABLES of every scenario process: ${m.glibcTunables ?? 'unset (glibc defaults)'}${nodeFlagsPart(m.nodeFlags)}. ` +
    'Each scenario ran in a fresh process after a warm-up; figures are medians of the trials with the min–max spread; the load average before each scenario is in the JSON.' +
    roundsSentence(report) +
    stallsSentence(report) +
    freshMemorySentence(report) +
    systemCallSentence(report))
  lines.push('')
  lines.push('### Headline ratios')
  lines.push('')
  lines.push('Higher is better; 1.0 means as good as the baseline.')
  lines.push('')
  lines.push('| figure | Cohort | ratios | what |')
  lines.push('| --- | --- | --- | --- |')
  for (const h of HEADLINES) {
    const r = report.scenarios.find((s) => s.name === h.name)
    if (r === undefined) continue
    lines.push(`| \`${h.name}\` | ${cell(figure(r))} | ${cell(describeRatios(r) || '—')} | ${cell(h.what)} |`)
  }
  const targets = report.scenarios.filter((r) => r.target !== undefined)
  if (targets.length > 0) {
    lines.push('')
    lines.push('### Targets (reported, not asserted)')
    lines.push('')
    for (const r of targets) {
      const met = r.target!.met === null ? 'cannot tell' : r.target!.met ? 'met' : '**missed**'
      // Every ratio, not only the first: a target may be about another baseline (64 KiB against Erlang, say).
      const ratios = describeRatios(r)
      lines.push(`- \`${r.name}\`: ${r.target!.text} — ${met} (${figure(r)}${ratios === '' ? '' : `, ${ratios}`})`)
    }
  }
  lines.push('')
  lines.push('### All figures, and what limits each')
  lines.push('')
  lines.push('| scenario | median | min–max | ratios | limited by |')
  lines.push('| --- | ---: | ---: | --- | --- |')
  for (const r of report.scenarios) {
    if (r.skipped !== null) {
      lines.push(`| \`${r.name}\` | — | — | ${cell(`skipped: ${r.skipped}`)} | |`)
      continue
    }
    const spread = `${human(r.min)}–${human(r.max)}`
    lines.push(`| \`${r.name}\` | ${cell(figure(r))} | ${spread} | ${cell(describeRatios(r) || '—')} | ${cell(measuredCpu(r) + generatorFloor(r) + r.notes)} |`)
  }
  if (charts.length > 0) {
    lines.push('')
    lines.push('### Charts')
    lines.push('')
    for (const c of charts) lines.push(`![${c}](charts/${c})`)
  }
  lines.push('')
  lines.push('<details><summary>The table as the runner printed it</summary>')
  lines.push('')
  lines.push('```')
  lines.push(table)
  lines.push('```')
  lines.push('')
  lines.push('</details>')
  lines.push('')
  lines.push(END)
  return lines.join('\n')
}

/** Rewrites the generated part of `path`, creating the file with a title if needed. */
export function writeResultsMarkdown(report: BenchReport, path: string, charts: string[], table: string): void {
  const section = generatedSection(report, charts, table)
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Cohort benchmark results\n\n'
  const start = current.indexOf(START)
  const end = current.indexOf(END)
  const next =
    start >= 0 && end > start ? current.slice(0, start) + section + current.slice(end + END.length) : `${current.trimEnd()}\n\n${section}\n`
  writeFileSync(path, next)
}
