/**
 * Soak: the three-node chat and the three-node cache under steady load from a generator process of their own
 * (support/soak-generator.mjs), while this test samples every node's heap, active handles and descriptors from its
 * `/metrics` and `/proc`. Asserts no errors (no lost, reordered or refused message, no unexpected reply, no closed
 * connection), every window served, and no growth trend in heap, handles, descriptors or latency once warmed up.
 * 90 s per service in `pnpm test`; `COHORT_APP_SOAK_MS=<ms>` runs each service that long instead (see RELIABILITY.md).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { startCacheCluster } from '../cache/support/cache-process.ts'
import { ChatCluster } from '../support/chat-process.ts'
import { record } from './support/figures.ts'
import { resourcesOf } from './support/process-resources.ts'

const GENERATOR = fileURLToPath(new URL('./support/soak-generator.mjs', import.meta.url))
const SOAK_MS = Number(process.env['COHORT_APP_SOAK_MS'] ?? 90_000)
const WINDOW_MS = Math.max(2_000, Math.round(SOAK_MS / 12))
const SAMPLE_MS = Math.max(500, Math.round(SOAK_MS / 48))

interface Window {
  ops: number
  errors: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}
interface Done {
  ops: number
  errors: number
  windows: number
  errorSamples: string[]
}
interface Sample {
  heapMiB: number
  handles: number
  fds: number
  rssMiB: number
}

let chat: ChatCluster | undefined
afterEach(async () => {
  await chat?.stop()
  chat = undefined
})

/** Runs the generator to its end; resolves with its windows and totals. */
function generate(config: Record<string, unknown>): { started: Promise<void>; finished: Promise<{ windows: Window[]; done: Done }> } {
  const child = spawn(process.execPath, [GENERATOR, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const windows: Window[] = []
  let onStarted: () => void = () => undefined
  const started = new Promise<void>((resolve) => (onStarted = resolve))
  const finished = new Promise<{ windows: Window[]; done: Done }>((resolve, reject) => {
    child.on('message', (m: { type: string } & Window & Done) => {
      if (m.type === 'started') onStarted()
      else if (m.type === 'window') windows.push(m)
      else if (m.type === 'done') resolve({ windows, done: m })
    })
    child.once('exit', (code) => reject(new Error(`the generator exited with ${code} before it was done`)))
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return { started, finished }
}

/** Reads one node's heap and handles from its Prometheus `/metrics`, and its descriptors and RSS from /proc. */
async function sample(metricsUrl: string, pid: number): Promise<Sample> {
  const text = await (await fetch(metricsUrl)).text()
  const metric = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  const { fds, rssMiB } = resourcesOf(pid)
  return { heapMiB: +(metric('nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(1), handles: metric('nodejs_active_handles_total'), fds, rssMiB }
}

/** Samples every node every SAMPLE_MS until `until` settles. */
async function sampleUntil(nodes: Array<{ metrics: string; pid: number }>, until: Promise<unknown>): Promise<Sample[][]> {
  const series: Sample[][] = nodes.map(() => [])
  let done = false
  void until.finally(() => (done = true)).catch(() => undefined)
  while (!done) {
    const round = await Promise.all(nodes.map((n) => sample(n.metrics, n.pid)))
    round.forEach((s, i) => series[i]!.push(s))
    await Promise.race([until.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))])
  }
  return series
}

const max = (xs: number[]): number => Math.max(...xs)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** The no-growth checks over one node's samples: after a warm-up quarter, the second half is no higher than the first. */
function expectNoGrowth(name: string, samples: Sample[]): { heapMiB: [number, number]; handles: [number, number]; fds: [number, number]; rssMiB: [number, number] } {
  const warm = samples.slice(Math.floor(samples.length / 4))
  expect(warm.length, `${name}: too few samples`).toBeGreaterThanOrEqual(6)
  const first = warm.slice(0, Math.floor(warm.length / 2))
  const second = warm.slice(Math.floor(warm.length / 2))
  const pick = (xs: Sample[], k: keyof Sample): number[] => xs.map((s) => s[k])
  // Heap saws with the collector: compare peaks, with room for one collection's worth of garbage.
  expect(max(pick(second, 'heapMiB')), `${name}: heap grows`).toBeLessThanOrEqual(max(pick(first, 'heapMiB')) * 1.5 + 16)
  expect(max(pick(second, 'handles')), `${name}: active handles grow`).toBeLessThanOrEqual(max(pick(first, 'handles')) + 10)
  expect(max(pick(second, 'fds')), `${name}: descriptors grow`).toBeLessThanOrEqual(max(pick(first, 'fds')) + 10)
  expect(max(pick(second, 'rssMiB')), `${name}: RSS grows`).toBeLessThanOrEqual(max(pick(first, 'rssMiB')) * 1.25 + 32)
  const range = (k: keyof Sample): [number, number] => [max(pick(first, k)), max(pick(second, k))]
  return { heapMiB: range('heapMiB'), handles: range('handles'), fds: range('fds'), rssMiB: range('rssMiB') }
}

/** The generator's checks: no errors, every window served, latency without a trend. */
function expectSteadyService(windows: Window[], done: Done): { p50Ms: [number, number]; p99Ms: [number, number] } {
  expect(done.errors, `errors: ${done.errorSamples.join('; ')}`).toBe(0)
  expect(windows.length).toBeGreaterThanOrEqual(3)
  for (const w of windows.slice(0, -1)) expect(w.ops).toBeGreaterThan(0)
  const full = windows.slice(1, -1)
  const third = Math.max(1, Math.floor(full.length / 3))
  const early = full.slice(0, third)
  const late = full.slice(-third)
  // Loose on purpose (a loaded machine moves latency by itself): a leak or a growing queue multiplies it.
  expect(median(late.map((w) => w.p50Ms))).toBeLessThanOrEqual(median(early.map((w) => w.p50Ms)) * 3 + 20)
  return { p50Ms: [median(early.map((w) => w.p50Ms)), median(late.map((w) => w.p50Ms))], p99Ms: [median(early.map((w) => w.p99Ms)), median(late.map((w) => w.p99Ms))] }
}

describe('soak', () => {
  it('serves a three-node chat under steady load with no errors and no growth', { timeout: SOAK_MS + 60_000 }, async () => {
    chat = await ChatCluster.start(3)
    const nodes = [0, 1, 2].map((i) => chat!.node(i))
    const gen = generate({ kind: 'chat', targets: nodes.map((n) => n.url), clients: 30, intervalMs: 200, durationMs: SOAK_MS, windowMs: WINDOW_MS })
    await gen.started
    const series = await sampleUntil(
      nodes.map((n) => ({ metrics: new URL('/metrics', n.url).href, pid: n.child.pid as number })),
      gen.finished,
    )
    const { windows, done } = await gen.finished
    const service = expectSteadyService(windows, done)
    const perNode = series.map((s, i) => expectNoGrowth(nodes[i]!.name, s))
    for (const n of nodes) expect(n.child.exitCode).toBeNull()
    record('soak-chat', { durationMs: SOAK_MS, clients: 30, offeredPerSecond: 150, deliveries: done.ops, errors: done.errors, ...service, nodes: perNode })
  })

  it('serves a three-node cache under steady load with no errors and no growth', { timeout: SOAK_MS + 60_000 }, async () => {
    const nodes = await startCacheCluster(['soak-a@127.0.0.1', 'soak-b@127.0.0.1', 'soak-c@127.0.0.1'])
    const gen = generate({
      kind: 'cache',
      targets: nodes.map((n) => ({ host: n.host, port: n.redisPort })),
      clients: 9,
      intervalMs: 10,
      durationMs: SOAK_MS,
      windowMs: WINDOW_MS,
    })
    await gen.started
    const series = await sampleUntil(
      nodes.map((n) => ({ metrics: `${n.http}/metrics`, pid: n.process.child.pid as number })),
      gen.finished,
    )
    const { windows, done } = await gen.finished
    const service = expectSteadyService(windows, done)
    const perNode = series.map((s, i) => expectNoGrowth(nodes[i]!.name, s))
    for (const n of nodes) expect(n.process.child.exitCode).toBeNull()
    record('soak-cache', { durationMs: SOAK_MS, connections: 9, offeredRequestsPerSecond: 1800, requests: done.ops, errors: done.errors, ...service, nodes: perNode })
  })
})
