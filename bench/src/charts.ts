/**
 * SVG charts of a run, written by the runner into bench/charts/: throughput against message size, against
 * concurrent pairs and against nodes, and call latency against load. Plain SVG with no dependency; each point is a
 * median with its min–max spread as a bar.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { human } from './report.ts'
import type { BenchReport, ScenarioResult } from './report.ts'
import { LOADS, MESH_NODES, MESSAGE_SIZES, PAIRS, PERCENTILES } from './registry.ts'

interface Point {
  x: number
  y: number
  lo: number
  hi: number
}

interface Series {
  name: string
  points: Point[]
  dashed?: boolean
}

interface ChartSpec {
  title: string
  xLabel: string
  yLabel: string
  xLog: boolean
  yLog: boolean
  xTicks: { value: number; label: string }[]
  series: Series[]
}

const COLORS = ['#1f6feb', '#d73a49', '#2da44e', '#8250df', '#bf8700', '#0a7b83', '#6e7781', '#cf222e', '#116329']
const W = 720
const H = 420
const M = { left: 78, right: 190, top: 44, bottom: 56 }

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function lineChart(spec: ChartSpec): string | undefined {
  spec = { ...spec, series: spec.series.filter((s) => s.points.length > 0) }
  const points = spec.series.flatMap((s) => s.points)
  if (points.length === 0) return undefined
  const fx = (v: number): number => (spec.xLog ? Math.log10(v) : v)
  const fy = (v: number): number => (spec.yLog ? Math.log10(Math.max(v, 1e-9)) : v)
  const xs = spec.xTicks.map((t) => fx(t.value))
  const xMin = Math.min(...xs)
  const xMax = Math.max(...xs)
  let yMin = Math.min(...points.map((p) => fy(p.lo)))
  let yMax = Math.max(...points.map((p) => fy(p.hi)))
  if (spec.yLog) {
    yMin = Math.floor(yMin)
    yMax = Math.ceil(yMax)
    if (yMax === yMin) yMax = yMin + 1
  } else {
    yMin = 0
    yMax = yMax * 1.1 || 1
  }
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const px = (v: number): number => M.left + (xMax === xMin ? pw / 2 : ((fx(v) - xMin) / (xMax - xMin)) * pw)
  const py = (v: number): number => M.top + ph - ((fy(v) - yMin) / (yMax - yMin)) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="bold">${escape(spec.title)}</text>`)
  // y grid
  const yTicks: number[] = []
  if (spec.yLog) for (let e = yMin; e <= yMax; e++) yTicks.push(10 ** e)
  else for (let i = 0; i <= 5; i++) yTicks.push((yMax / 5) * i)
  for (const t of yTicks) {
    const y = py(t)
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e1e4e8"/>`)
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${human(t)}</text>`)
  }
  for (const t of spec.xTicks) {
    const x = px(t.value)
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#f0f2f4"/>`)
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${escape(t.label)}</text>`)
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#57606a"/>`)
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escape(spec.xLabel)}</text>`)
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escape(spec.yLabel)}</text>`)
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!
    const pts = [...s.points].sort((a, b) => a.x - b.x)
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    }
    for (const p of pts) {
      const x = px(p.x)
      out.push(`<line x1="${x}" x2="${x}" y1="${py(p.lo)}" y2="${py(p.hi)}" stroke="${color}" stroke-width="1.5"/>`)
      out.push(`<circle cx="${x}" cy="${py(p.y)}" r="3.5" fill="${color}"/>`)
    }
    const ly = M.top + 14 + i * 20
    out.push(`<line x1="${M.left + pw + 14}" x2="${M.left + pw + 38}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(`<text x="${M.left + pw + 44}" y="${ly}">${escape(s.name)}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function point(r: ScenarioResult | undefined, x: number, secondary = false): Point[] {
  if (r === undefined || r.median === undefined) return []
  if (secondary) {
    if (r.secondary === undefined) return []
    return [{ x, y: r.secondary.median, lo: r.secondary.min, hi: r.secondary.max }]
  }
  return [{ x, y: r.median, lo: r.min!, hi: r.max! }]
}

/** Writes the charts of `report` into `dir`; returns their file names (charts without data are left out). */
export function writeCharts(report: BenchReport, dir: string): string[] {
  const get = (name: string): ScenarioResult | undefined => report.scenarios.find((r) => r.name === name && r.skipped === null)
  const charts: Record<string, string | undefined> = {}
  const sizeTicks = MESSAGE_SIZES.map((s) => ({ value: s.bytes, label: s.label }))
  const bySize = (prefix: (label: string) => string, secondary: boolean): Point[] =>
    MESSAGE_SIZES.flatMap((s) => point(get(prefix(s.label)), s.bytes, secondary))
  const sizeSeries = (secondary: boolean): Series[] => [
    { name: 'Cohort', points: bySize((l) => `remote.oneway.${l}.pairs1`, secondary) },
    { name: 'ws + msgpackr', points: bySize((l) => `baseline.ws-msgpackr.oneway.${l}`, secondary), dashed: true },
    { name: 'net + msgpackr', points: bySize((l) => `baseline.net-msgpackr.oneway.${l}`, secondary), dashed: true },
    { name: 'Distributed Erlang', points: bySize((l) => `erlang.remote.oneway.${l}`, secondary), dashed: true },
  ]
  charts['throughput-by-size-msgs.svg'] = lineChart({
    title: 'Two nodes, one-way: messages/s by message size',
    xLabel: 'message size',
    yLabel: 'messages/s (log)',
    xLog: true,
    yLog: true,
    xTicks: sizeTicks,
    series: sizeSeries(false),
  })
  charts['throughput-by-size-mbs.svg'] = lineChart({
    title: 'Two nodes, one-way: MB/s by message size',
    xLabel: 'message size',
    yLabel: 'MB/s of payload (log)',
    xLog: true,
    yLog: true,
    xTicks: sizeTicks,
    series: sizeSeries(true),
  })
  const ws64 = get('baseline.ws-msgpackr.oneway.64B')
  charts['throughput-by-pairs.svg'] = lineChart({
    title: 'Two nodes, one-way 64 B: messages/s by concurrent pairs',
    xLabel: 'sender/receiver pairs',
    yLabel: 'messages/s',
    xLog: true,
    yLog: false,
    xTicks: PAIRS.map((p) => ({ value: p, label: String(p) })),
    series: [
      { name: 'Cohort', points: PAIRS.flatMap((p) => point(get(`remote.oneway.64B.pairs${p}`), p)) },
      ...(ws64 === undefined ? [] : [{ name: 'ws + msgpackr (1 stream)', points: PAIRS.flatMap((p) => point(ws64, p)), dashed: true }]),
    ],
  })
  charts['throughput-by-nodes.svg'] = lineChart({
    title: 'Mesh, all-to-all 64 B: aggregate messages/s by nodes',
    xLabel: 'nodes (processes on one 2-vCPU machine)',
    yLabel: 'messages/s, all nodes',
    xLog: false,
    yLog: false,
    xTicks: MESH_NODES.map((n) => ({ value: n, label: String(n) })),
    series: [{ name: 'Cohort mesh', points: MESH_NODES.flatMap((n) => point(get(`mesh.nodes${n}`), n)) }],
  })
  charts['latency-by-load.svg'] = lineChart({
    title: 'Two nodes, call latency by offered load (open loop)',
    xLabel: 'offered load, % of Cohort\'s max call rate',
    yLabel: 'latency µs (log)',
    xLog: false,
    yLog: true,
    xTicks: LOADS.map((l) => ({ value: l, label: `${l}%` })),
    series: PERCENTILES.flatMap((p) => [
      { name: `Cohort ${p.label}`, points: LOADS.flatMap((l) => point(get(`remote.call.${p.label}.load${l}`), l)) },
      { name: `ws ${p.label}`, points: LOADS.flatMap((l) => point(get(`baseline.ws.call.${p.label}.load${l}`), l)), dashed: true },
    ]),
  })
  mkdirSync(dir, { recursive: true })
  const written: string[] = []
  for (const [file, svg] of Object.entries(charts)) {
    if (svg === undefined) continue
    writeFileSync(join(dir, file), svg)
    written.push(file)
  }
  return written
}
