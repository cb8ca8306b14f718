/**
 * The scenario registry: every job the runner can start, in the order it runs them, with the figures each reports.
 * A baseline runs right before the scenarios it bounds, so the two are measured seconds apart. Scenario names are
 * dotted, lowercase and stable: comparisons across runs depend on them.
 *
 * To add a scenario: write `scenarios/<area>/<name>.bench.ts` (it calls `runScenario`), then add a job here with
 * its figures, their baselines, what limits them (`notes`) and any target.
 */
import type { Metric, ScenarioResult } from './report.ts'

export type { Metric }


/** A target from the project's goals: reported as met or missed, never asserted. */
export interface Target {
  readonly text: string
  /**
   * The baseline the target is judged by, when it is not the primary: its job (single-phase) runs in the same rounds
   * as the target's (rounds.ts), so the ratio that decides compares the same minutes too.
   */
  readonly against?: string
  /** undefined when the run cannot tell (a --quick run with a smaller population, say). */
  readonly check: (result: ScenarioResult, quick: boolean) => boolean | undefined
}

/** One named figure a job reports. */
export interface FigureSpec {
  readonly name: string
  readonly metric: Metric
  readonly unit: string
  readonly secondaryUnit?: string
  /** Baselines this figure is compared with; the first is the primary (`baseline` and `ratio` in the JSON). */
  readonly baselines?: readonly string[]
  readonly target?: Target
  /** What limits this figure. */
  readonly notes: string
}

/** What a job's parameters may depend on: the mode and the results measured so far in this run. */
export interface JobContext {
  readonly quick: boolean
  readonly results: ReadonlyMap<string, ScenarioResult>
}

/** One scenario process (it may start helper processes of its own). */
export interface JobSpec {
  readonly id: string
  /** Compiled scenario file, relative to dist/scenarios/; undefined for a planned scenario. */
  readonly file: string | undefined
  readonly figures: readonly FigureSpec[]
  readonly params?: (ctx: JobContext) => Record<string, unknown>
  readonly execArgv?: readonly string[]
  /** Why it cannot run at all (planned, not built yet). */
  readonly planned?: string
  /** False: left out of --quick runs (reported as skipped). @default true */
  readonly quick?: boolean
  /** Seconds on top of warm-up and trials before the runner gives up on it. @default 60 */
  readonly extraTimeoutS?: number
  /** Weight of warm-up and trials: how many measured phases the job runs (a latency job runs several loads). */
  readonly phases?: number
}

export const MESSAGE_SIZES = [
  { label: '64B', bytes: 64 },
  { label: '1KiB', bytes: 1024 },
  { label: '16KiB', bytes: 16 * 1024 },
  { label: '64KiB', bytes: 64 * 1024 },
  { label: '1MiB', bytes: 1024 * 1024 },
] as const
export const PAIRS = [1, 8, 64, 256] as const
export const LOADS = [25, 50, 90] as const
export const MESH_NODES = [2, 4, 8] as const
export const ERLANG_SIZES = ['64B', '1KiB', '64KiB'] as const
export const PERCENTILES = [
  { label: 'p50', q: 50 },
  { label: 'p99', q: 99 },
  { label: 'p999', q: 99.9 },
] as const

const LOCAL_QUEUE_NOTE = 'one core, in one process: the scheduler turn and the mailbox are the whole cost'
/** What limits 1 KiB one-way, measured as ONEWAY_NOTE_64B. */
const ONEWAY_NOTE_SMALL =
  "the sender's CPU: it ran at a full vCPU, two fifths of it in the kernel writing ~2 GB/s to the socket (as the baseline's sender), the receiver at ~65 %; the runtime adds routing, the batch run and the frame's copy per message"
/** What limits 64 B one-way, measured (user + system time of each process) after change 39. */
const ONEWAY_NOTE_64B =
  "the receiver's CPU: it ran at a full vCPU (a fifth of it in the kernel, reading the socket) while the sender ran at ~80 % and waited on backpressure for the rest; per message the receiver builds a Buffer view and decodes, as the baseline's does, and dispatches to the actor (mailbox, scheduler turn, handler: ~15 ns), which the baseline's does not"
/** What limits the object one-way figures, measured as ONEWAY_NOTE_64B. */
const ONEWAY_NOTE_OBJECT =
  "the sender's CPU: it ran at a full vCPU, the receiver at ~60 %; msgpackr is ~60 % of the sender, as in the baseline, and the runtime around it the rest (size bound ~10 %, routing and the batch run ~8 %, the frame's copy and the socket write)"
const ONEWAY_NOTE_LARGE =
  "bytes: Buffers of 16 KiB and more are attached, written as they are, so the sender's copy is the kernel's; the receiver reads a frame with 16 KiB or more still to come straight into a Buffer of its size (readInPlace), so its copy is the kernel's too, and adds ws's parse and, for a message sent as a stream, its reassembly; and how the allocator recycles those buffers (GLIBC_TUNABLES)"

/** A bare-substrate one-way baseline (baselines/wire-oneway.bench.ts): `transport` picks the pair, `name` the figure. */
function wireBaselineJob(size: (typeof MESSAGE_SIZES)[number], transport: 'ws' | 'net' | 'net-onread', name: string, notes: string): JobSpec {
  return {
    id: name,
    file: 'baselines/wire-oneway.bench.js',
    params: () => ({ size: size.bytes, label: size.label, transport, figure: name }),
    figures: [{ name, metric: 'throughput', unit: 'msg/s', secondaryUnit: 'MB/s', notes }],
  }
}

function onewayJobs(): JobSpec[] {
  const jobs: JobSpec[] = []
  for (const size of MESSAGE_SIZES) {
    const small = size.bytes <= 1024
    jobs.push(
      wireBaselineJob(size, 'ws', `baseline.ws-msgpackr.oneway.${size.label}`, 'bare ws + msgpackr, one msgpack array per frame, flushed once per turn or at 256 KiB; ' + (small ? 'the sender\'s CPU' : 'bytes on loopback')),
      wireBaselineJob(size, 'net', `baseline.net-msgpackr.oneway.${size.label}`, 'bare net socket, 4-byte length + one msgpack array per batch, same batching: no ws framing'),
    )
    // Large messages also against a receiver that reads each frame into its own Buffer: what Node's sockets can do when
    // a read does not get a fresh buffer of its own, the read path the Erlang distribution has.
    const inPlace = size.bytes >= 16 * 1024 ? [`baseline.net-onread.oneway.${size.label}`] : []
    for (const name of inPlace) {
      jobs.push(wireBaselineJob(size, 'net-onread', name, "the net baseline with a receiver that reads each frame's length into a small reused buffer and the rest straight into the frame's own Buffer (onread), as the Erlang distribution reads a packet: no fresh buffer per read, no copy after the kernel's"))
    }
    const erlang = (ERLANG_SIZES as readonly string[]).includes(size.label) ? [`erlang.remote.oneway.${size.label}`] : []
    jobs.push({
      id: `remote.oneway.${size.label}.pairs1`,
      file: 'remote/remote-oneway.bench.js',
      params: () => ({ size: size.bytes, label: size.label, pairs: 1 }),
      figures: [
        {
          name: `remote.oneway.${size.label}.pairs1`,
          metric: 'throughput',
          unit: 'msg/s',
          secondaryUnit: 'MB/s',
          baselines: [`baseline.ws-msgpackr.oneway.${size.label}`, `baseline.net-msgpackr.oneway.${size.label}`, ...erlang, ...inPlace],
          ...onewayTarget(size.label, erlang.length > 0),
          notes: size.label === '64B' ? ONEWAY_NOTE_64B : small ? ONEWAY_NOTE_SMALL : ONEWAY_NOTE_LARGE,
        },
      ],
    })
    if (size.label === '64B') jobs.push(...pairJobs())
    if (size.label === '64KiB') jobs.push(busyWaitOnewayJob(size))
    if ((TLS_SIZES as readonly string[]).includes(size.label)) jobs.push(tlsJob(size))
  }
  return jobs
}

/**
 * One sender/receiver pair of `size` with one thing changed from remote.oneway.<size>.pairs1 (`variant` in the name,
 * `params` added), no target: the first baseline is the default's row, the second Distributed Erlang's counterpart.
 */
function onePairVariantJob(size: (typeof MESSAGE_SIZES)[number], variant: string, params: Record<string, unknown>, erlang: string, notes: string): JobSpec {
  const name = `remote.oneway.${size.label}.${variant}.pairs1`
  return {
    id: name,
    file: 'remote/remote-oneway.bench.js',
    params: () => ({ size: size.bytes, label: size.label, pairs: 1, ...params }),
    figures: [
      { name, metric: 'throughput', unit: 'msg/s', secondaryUnit: 'MB/s', baselines: [`remote.oneway.${size.label}.pairs1`, erlang], notes },
    ],
  }
}

/**
 * The same one pair with `busyWaitMs` on both nodes: on a virtual machine the 64 KiB row runs at one of two speeds
 * from one process to the next, and the slow one goes with processes that sleep and are woken through the hypervisor
 * far more often. This row shows what not sleeping buys, beside the default's.
 */
function busyWaitOnewayJob(size: (typeof MESSAGE_SIZES)[number]): JobSpec {
  return onePairVariantJob(
    size,
    'busywait',
    { busyWaitMs: BUSY_WAIT_MS },
    `erlang.remote.oneway.${size.label}`,
    `both nodes with busyWaitMs: ${BUSY_WAIT_MS} (polling, not sleeping, after each frame); the first ratio is to the default's row, the second to Distributed Erlang, whose schedulers also spin before they sleep`,
  )
}

/** The large sizes also measured over wss://, beside the same row over ws://. */
const TLS_SIZES = ['64KiB', '1MiB'] as const

/** One pair over wss://: what TLS costs a large message (no target; the ratio is to the same row over ws://). */
function tlsJob(size: (typeof MESSAGE_SIZES)[number]): JobSpec {
  return onePairVariantJob(
    size,
    'tls',
    { tls: true },
    `erlang.remote.oneway.${size.label}.tls`,
    'the same one pair over wss://, both nodes with `tls` and `ca` (a P-256 node certificate and the CA that signed it; the record layer is what Node negotiates by default); large frames are read in place as over ws://, what TLS decrypts going straight into the frame\'s Buffer; the first ratio is to the same row over ws://, what TLS costs, the second to Distributed Erlang over TLS with the same certificates',
  )
}

/** 64 B one-way with 8 to 256 pairs: run right after one pair's, so that both stand beside the same baseline. */
function pairJobs(): JobSpec[] {
  const jobs: JobSpec[] = []
  for (const pairs of PAIRS) {
    if (pairs === 1) continue
    jobs.push({
      id: `remote.oneway.64B.pairs${pairs}`,
      file: 'remote/remote-oneway.bench.js',
      params: () => ({ size: 64, label: '64B', pairs }),
      figures: [
        {
          name: `remote.oneway.64B.pairs${pairs}`,
          metric: 'throughput',
          unit: 'msg/s',
          secondaryUnit: 'MB/s',
          baselines: ['baseline.ws-msgpackr.oneway.64B', 'remote.oneway.64B.pairs1'],
          ...onewayTarget('64B'),
          notes:
            pairs < 256
              ? `${pairs} sender actors to ${pairs} receivers over the one connection: as with one pair, ${ONEWAY_NOTE_64B}; and the scheduler's rotation among actors`
              : `${pairs} sender actors to ${pairs} receivers over the one connection: both processes at a full vCPU each (the sender's rotation among 256 actors and their runs of the batch now cost as much as the receiver)`,
        },
      ],
    })
  }
  return jobs
}

/**
 * The transport issue's own small message: an object of about 100 bytes (a chat line), with 1, 8 and 64 pairs. An
 * object takes msgpackr's record path, where a Buffer takes the byte path, so the two measure different codec work.
 */
function objectJobs(): JobSpec[] {
  const jobs: JobSpec[] = []
  for (const transport of ['ws', 'net'] as const) {
    jobs.push({
      id: `baseline.${transport}-msgpackr.oneway.object`,
      file: 'baselines/wire-oneway.bench.js',
      params: () => ({ kind: 'object', label: 'object', transport, figure: `baseline.${transport}-msgpackr.oneway.object` }),
      figures: [
        {
          name: `baseline.${transport}-msgpackr.oneway.object`,
          metric: 'throughput',
          unit: 'msg/s',
          secondaryUnit: 'MB/s',
          notes: `bare ${transport} + msgpackr with the same batching, the same ~100-byte object per message: the sender's CPU`,
        },
      ],
    })
  }
  for (const pairs of [1, 8, 64]) {
    jobs.push({
      id: `remote.oneway.object.pairs${pairs}`,
      file: 'remote/remote-oneway.bench.js',
      params: () => ({ kind: 'object', label: 'object', pairs }),
      figures: [
        {
          name: `remote.oneway.object.pairs${pairs}`,
          metric: 'throughput',
          unit: 'msg/s',
          secondaryUnit: 'MB/s',
          baselines: ['baseline.ws-msgpackr.oneway.object', 'baseline.net-msgpackr.oneway.object'],
          ...onewayTarget('object'),
          notes: `${pairs === 1 ? 'one sender actor to one receiver' : `${pairs} sender actors to ${pairs} receivers`}: ${ONEWAY_NOTE_OBJECT}`,
        },
      ],
    })
  }
  return jobs
}

/** The transport issue's throughput targets, each a ratio in the same run; Erlang's only where it ran the scenario. */
function onewayTarget(label: string, erlang = false): { target?: Target } {
  if (label === '64B' || label === 'object') {
    const text = erlang ? '≥ 70% of bare ws + msgpackr, ≥ 1.5× Distributed Erlang' : '≥ 70% of bare ws + msgpackr'
    return {
      target: {
        text,
        check: (r) => {
          if (r.ratio === null) return undefined
          const erlangRatio = r.baselines?.find((b) => b.name.startsWith('erlang.'))
          return r.ratio >= 0.7 && (erlangRatio === undefined || erlangRatio.ratio >= 1.5)
        },
      },
    }
  }
  if (label === '1MiB' || label === '16KiB') {
    return { target: { text: "≥ 80% of bare ws + msgpackr's MB/s", check: (r) => (r.ratio === null ? undefined : r.ratio >= 0.8) } }
  }
  if (label === '64KiB' && erlang) {
    // The large-message issue's row: what someone choosing between Cohort and Distributed Erlang compares.
    return {
      target: {
        text: '≥ 1.0× Distributed Erlang',
        against: 'erlang.remote.oneway.64KiB',
        check: (r) => {
          const erlangRatio = r.baselines?.find((b) => b.name.startsWith('erlang.'))
          return erlangRatio === undefined ? undefined : erlangRatio.ratio >= 1
        },
      },
    }
  }
  return {}
}

/** The call latency targets at 25% load: p50 within 1.5× of a bare ws ping-pong, p99 within 3×. */
function callLatencyTarget(percentile: string, load: number): { target?: Target } {
  if (load !== 25) return {}
  const within = percentile === 'p50' ? 1.5 : percentile === 'p99' ? 3 : undefined
  if (within === undefined) return {}
  // The ratio is ws/Cohort for latency: within N× means a ratio of at least 1/N. A --quick run's trials are too short
  // to place a percentile against a target.
  return {
    target: { text: `within ${within}× of bare ws`, check: (r, quick) => (quick || r.ratio === null ? undefined : r.ratio >= 1 / within) },
  }
}

/**
 * The p50 and p99 of a closed loop's round trips (µs), beside the same of `baselinePrefix`. `p50Target` names the
 * p50's target, within 1.5× of the baseline: the transport issue's with one call in flight, the large-message issue's
 * with 100.
 */
function roundTripFigures(prefix: string, what: string, baselinePrefix?: string, p50Target?: string): FigureSpec[] {
  return (['p50', 'p99'] as const).map((p) => ({
    name: `${prefix}.${p}`,
    metric: 'latency' as const,
    unit: 'µs',
    ...(baselinePrefix !== undefined ? { baselines: [`${baselinePrefix}.${p}`] } : {}),
    ...(p50Target !== undefined && p === 'p50'
      ? { target: { text: p50Target, check: (r: ScenarioResult) => (r.ratio === null ? undefined : r.ratio >= 1 / 1.5) } }
      : {}),
    notes: `${p} of ${what}`,
  }))
}

/** The busy wait the `remote.call.busywait.*` rows run with: long enough to span a round of 100 calls in flight. */
const BUSY_WAIT_MS = 5

function callJobs(): JobSpec[] {
  const jobs: JobSpec[] = []
  for (const inflight of [1, 100]) {
    jobs.push({
      id: `baseline.ws.call.inflight${inflight}`,
      file: 'baselines/wire-call.bench.js',
      params: () => ({ mode: 'closed', inflight }),
      figures: [
        {
          name: `baseline.ws.call.inflight${inflight}`,
          metric: 'throughput',
          unit: 'calls/s',
          notes: inflight === 1 ? 'bare ws ping-pong: two wake-ups per round trip (the idle vCPU wake-up dominates)' : 'bare ws + msgpackr request/response, batched per turn',
        },
        ...roundTripFigures(`baseline.ws.call.inflight${inflight}`, inflight === 1 ? 'a bare ws ping-pong\'s round trip' : 'a round trip with 100 in flight over bare ws'),
      ],
    })
    jobs.push({
      id: `remote.call.inflight${inflight}`,
      file: 'remote/remote-call.bench.js',
      params: () => ({ mode: 'closed', inflight }),
      figures: [
        {
          name: `remote.call.inflight${inflight}`,
          metric: 'throughput',
          unit: 'calls/s',
          baselines: [`baseline.ws.call.inflight${inflight}`, ...(inflight === 1 ? ['erlang.remote.call.inflight1'] : [])],
          ...(inflight === 100 ? { target: { text: '≥ 80% of bare ws', check: (r: ScenarioResult) => (r.ratio === null ? undefined : r.ratio >= 0.8) } } : {}),
          notes:
            inflight === 1
              ? 'latency-bound: each round trip waits for two process wake-ups and a scheduler turn on each side'
              : 'lockstep batches of 100: a round is one batch of CPU on each side and two wake-ups; per call a reply port, a monitor (set up by the call message itself) and a promise',
        },
        ...roundTripFigures(
          `remote.call.inflight${inflight}`,
          inflight === 1 ? 'the round trip of one call at a time: two process wake-ups and a scheduler turn on each side' : 'the round trip of each of 100 calls in flight: a round of lockstep batches',
          `baseline.ws.call.inflight${inflight}`,
          inflight === 1 ? 'within 1.5× of a bare ws ping-pong' : 'within 1.5× of bare ws with 100 in flight',
        ),
      ],
    })
  }
  for (const inflight of [1, 100]) {
    // The same calls with busyWaitMs on both nodes: what the option buys, beside the default's row (no target).
    jobs.push({
      id: `remote.call.busywait.inflight${inflight}`,
      file: 'remote/remote-call.bench.js',
      params: () => ({ mode: 'closed', inflight, busyWaitMs: BUSY_WAIT_MS }),
      figures: [
        {
          name: `remote.call.busywait.inflight${inflight}`,
          metric: 'throughput',
          unit: 'calls/s',
          baselines: [`baseline.ws.call.inflight${inflight}`, `remote.call.inflight${inflight}`],
          notes: `both nodes with busyWaitMs: ${BUSY_WAIT_MS} (polling, not sleeping, after each frame); a core each while it runs`,
        },
        ...roundTripFigures(`remote.call.busywait.inflight${inflight}`, `the round trip with busyWaitMs: ${BUSY_WAIT_MS}, ${inflight} in flight`, `baseline.ws.call.inflight${inflight}`),
      ],
    })
  }
  const latencyFigures = (prefix: string, notes: string, baselinePrefix?: string): FigureSpec[] =>
    LOADS.flatMap((load) =>
      PERCENTILES.map((p) => ({
        name: `${prefix}.${p.label}.load${load}`,
        metric: 'latency' as const,
        unit: 'µs',
        ...(baselinePrefix !== undefined ? { baselines: [`${baselinePrefix}.${p.label}.load${load}`], ...callLatencyTarget(p.label, load) } : {}),
        notes,
      })),
    )
  jobs.push({
    id: 'remote.call.latency',
    file: 'remote/remote-call.bench.js',
    params: () => ({ mode: 'open', loads: LOADS }),
    // The max rate, then at each load the generator alone and the measured loop.
    phases: 2 * LOADS.length + 1,
    figures: latencyFigures(
      'remote.call',
      'open loop at a share of the measured max call rate (closed loop, 100 in flight); queueing in both event loops at 90%',
      'baseline.ws.call',
    ),
  })
  jobs.push({
    id: 'baseline.ws.call.latency',
    file: 'baselines/wire-call.bench.js',
    // The same absolute rates as Cohort's run, so the two are compared under the same offered load.
    params: (ctx) => ({ mode: 'open', loads: LOADS, rates: ctx.results.get('remote.call.p50.load25')?.extra?.['ratesByLoad'] }),
    phases: 2 * LOADS.length + 1,
    figures: latencyFigures('baseline.ws.call', 'bare ws ping-pong (msgpackr, batched per turn) at the same offered rates as Cohort'),
  })
  return jobs
}

function meshJobs(): JobSpec[] {
  return MESH_NODES.map((nodes) => ({
    id: `mesh.nodes${nodes}`,
    file: 'mesh/mesh.bench.js',
    params: () => ({ nodes, size: 64 }),
    extraTimeoutS: 90,
    figures: [
      {
        name: `mesh.nodes${nodes}`,
        metric: 'throughput' as const,
        unit: 'msg/s',
        ...(nodes > 2 ? { baselines: ['mesh.nodes2'] } : {}),
        notes: `${nodes} node processes on 2 vCPUs, each sending 64 B messages to every other: aggregate received; the cores are the limit, so more nodes share the same CPU over more, smaller batches`,
      },
    ],
  }))
}

/**
 * Distributed Erlang over TLS (`inet_tls_dist`, both nodes verified with the certificates Cohort's wss rows use): the
 * comparison for a cluster that must encrypt. One-way only.
 */
function erlangTlsJob(): JobSpec {
  return {
    id: 'erlang.tls',
    file: 'erlang/erlang.bench.js',
    params: () => ({ tls: true, sizes: TLS_SIZES.map((label) => MESSAGE_SIZES.find((s) => s.label === label)!.bytes) }),
    phases: TLS_SIZES.length + 1,
    extraTimeoutS: 120,
    figures: TLS_SIZES.map((label) => ({
      name: `erlang.remote.oneway.${label}.tls`,
      metric: 'throughput' as const,
      unit: 'msg/s',
      secondaryUnit: 'MB/s',
      notes: "Distributed Erlang over TLS (`-proto_dist inet_tls`, verify_peer both ways, the wss rows' certificates) between two nodes on loopback, one sender process",
    })),
  }
}

/** The Erlang sizes measured by the Erlang job; 64 KiB has a job of its own (erlangOnewayJob), run in rounds. */
const ERLANG_JOB_SIZES = ERLANG_SIZES.filter((label) => label !== '64KiB')

function erlangJob(): JobSpec {
  return {
    id: 'erlang',
    file: 'erlang/erlang.bench.js',
    params: () => ({ sizes: ERLANG_JOB_SIZES.map((label) => MESSAGE_SIZES.find((s) => s.label === label)!.bytes) }),
    phases: ERLANG_JOB_SIZES.length + 1,
    extraTimeoutS: 120,
    figures: [
      ...ERLANG_JOB_SIZES.map((label) => ({
        name: `erlang.remote.oneway.${label}`,
        metric: 'throughput' as const,
        unit: 'msg/s',
        secondaryUnit: 'MB/s',
        notes: ERLANG_ONEWAY_NOTE,
      })),
      {
        name: 'erlang.remote.call.inflight1',
        metric: 'throughput' as const,
        unit: 'calls/s',
        notes: 'Distributed Erlang request/reply, one in flight (gen_server:call pattern)',
      },
    ],
  }
}

const ERLANG_ONEWAY_NOTE = 'Distributed Erlang between two nodes on loopback, one sender process; binaries over 64 B are refcounted, not copied'

/**
 * One-way Distributed Erlang at one size, alone in its job: the baseline a target is judged by (`against`), which then
 * runs in the target's rounds instead of once, minutes away, with the other Erlang rows.
 */
function erlangOnewayJob(label: (typeof ERLANG_SIZES)[number]): JobSpec {
  return {
    id: `erlang.remote.oneway.${label}`,
    file: 'erlang/erlang.bench.js',
    params: () => ({ sizes: [MESSAGE_SIZES.find((s) => s.label === label)!.bytes], onewayOnly: true }),
    extraTimeoutS: 120,
    figures: [{ name: `erlang.remote.oneway.${label}`, metric: 'throughput', unit: 'msg/s', secondaryUnit: 'MB/s', notes: ERLANG_ONEWAY_NOTE }],
  }
}

export const SCENARIOS: readonly JobSpec[] = [
  {
    id: 'baseline.local.queue',
    file: 'baselines/local-queue.bench.js',
    figures: [{ name: 'baseline.local.queue', metric: 'throughput', unit: 'msg/s', notes: 'plain array queue drained in a loop: one core' }],
  },
  {
    id: 'local.send',
    file: 'local/local-send.bench.js',
    figures: [
      {
        name: 'local.send',
        metric: 'throughput',
        unit: 'msg/s',
        baselines: ['baseline.local.queue'],
        target: { text: '≥ 40% of the plain queue', check: (r) => (r.ratio === null ? undefined : r.ratio >= 0.4) },
        notes: LOCAL_QUEUE_NOTE,
      },
    ],
  },
  {
    id: 'baseline.local.ring',
    file: 'baselines/local-ring.bench.js',
    params: () => ({ ringSize: 1000 }),
    figures: [{ name: 'baseline.local.ring', metric: 'throughput', unit: 'hops/s', notes: 'plain queues and a plain run queue: one core' }],
  },
  {
    id: 'local.ring',
    file: 'local/local-ring.bench.js',
    params: () => ({ ringSize: 1000 }),
    figures: [
      {
        name: 'local.ring',
        metric: 'throughput',
        unit: 'hops/s',
        baselines: ['baseline.local.ring'],
        notes: 'one token: every hop is a run-queue round (enqueue, turn, handler), so the per-turn cost shows undiluted',
      },
    ],
  },
  {
    id: 'baseline.local.promise',
    file: 'baselines/local-promise.bench.js',
    figures: [{ name: 'baseline.local.promise', metric: 'throughput', unit: 'calls/s', notes: 'a promise per request through a plain queue: microtask turns' }],
  },
  {
    id: 'local.call',
    file: 'local/local-call.bench.js',
    figures: [
      {
        name: 'local.call',
        metric: 'throughput',
        unit: 'calls/s',
        baselines: ['baseline.local.promise'],
        notes: 'per call: a reply port in the process table, a monitor on the callee, a timeout timer, two mailbox hops, a promise',
      },
    ],
  },
  {
    id: 'baseline.local.spawn',
    file: 'baselines/local-spawn.bench.js',
    params: (ctx) => ({ actors: ctx.quick ? 50_000 : 200_000 }),
    execArgv: ['--expose-gc'],
    figures: [{ name: 'baseline.local.spawn', metric: 'throughput', unit: 'spawns/s', notes: 'an object and a Map entry per actor: allocation' }],
  },
  {
    id: 'local.spawn',
    file: 'local/local-spawn.bench.js',
    params: (ctx) => ({ actors: ctx.quick ? 50_000 : 200_000 }),
    execArgv: ['--expose-gc'],
    figures: [
      {
        name: 'local.spawn',
        metric: 'throughput',
        unit: 'spawns/s',
        baselines: ['baseline.local.spawn'],
        target: { text: '≥ 1,000,000 spawns/s', check: (r) => (r.median === undefined ? undefined : r.median >= 1_000_000) },
        notes: 'allocation and young-generation GC: a Pid, an actor object, a process-table entry and an init turn per spawn; a trial\'s live actors overflow the young generation and are promoted into new pages, each first touched at the cost of a page fault (the run\'s fresh-memory probe)',
      },
    ],
  },
  {
    id: 'baseline.local.memory',
    file: 'baselines/local-memory.bench.js',
    params: (ctx) => ({ actors: ctx.quick ? 100_000 : 1_000_000 }),
    execArgv: ['--expose-gc', '--max-old-space-size=8192'],
    figures: [{ name: 'baseline.local.memory', metric: 'memory', unit: 'B/actor', notes: 'an object with an empty array queue in a Map' }],
  },
  ...(['server', 'process'] as const).map(
    (style): JobSpec => ({
      id: `local.memory.${style}`,
      file: 'local/local-memory.bench.js',
      params: (ctx) => ({ style, actors: ctx.quick ? 100_000 : 1_000_000 }),
      execArgv: ['--expose-gc', '--max-old-space-size=8192'],
      extraTimeoutS: 180,
      figures: [
        {
          name: `local.memory.${style}`,
          metric: 'memory',
          unit: 'B/actor',
          baselines: ['baseline.local.memory'],
          ...(style === 'server'
            ? {
                target: {
                  text: '≤ 1 KiB per idle server actor, 1,000,000 idle actors in one process',
                  check: (r: ScenarioResult, quick: boolean) =>
                    r.median === undefined ? undefined : r.median <= 1024 && (quick ? true : Number(r.extra?.['aliveAtOnce'] ?? 0) >= 1_000_000),
                },
              }
            : {}),
          notes:
            style === 'server'
              ? 'heap per idle server actor: the actor object (its fields), its Pid, a process-table entry'
              : 'heap per idle process function: the actor plus its suspended async function, a pending promise and the receive record',
        },
      ],
    }),
  ),
  ...onewayJobs(),
  ...objectJobs(),
  ...callJobs(),
  ...meshJobs(),
  erlangJob(),
  erlangOnewayJob('64KiB'),
  erlangTlsJob(),
  {
    id: 'groups.fanout.naive',
    file: 'groups/fanout.bench.js',
    params: () => ({ mode: 'naive' }),
    figures: [
      {
        name: 'groups.fanout.naive',
        metric: 'throughput',
        unit: 'deliveries/s',
        notes: 'one send per member from the publisher: 667 of every 1,000 copies cross the wire; the publisher node encodes them all',
      },
    ],
  },
  {
    id: 'groups.fanout',
    file: 'groups/fanout.bench.js',
    params: () => ({ mode: 'broadcast' }),
    figures: [
      {
        name: 'groups.fanout',
        metric: 'throughput',
        unit: 'deliveries/s',
        baselines: ['groups.fanout.naive'],
        notes: 'one copy per remote node, fanned out by that node\'s scope actor: the local deliveries on each node (its scheduler) are the limit, not the wire',
      },
    ],
  },
  ...replicatedJobs(),
  ...cacheJobs(),
  chatJob(),
]

/** The replicated map and presence tracker (packages/core/src/cluster): the issue's targets beside the substrate. */
function replicatedJobs(): JobSpec[] {
  const delayFigures = LOADS.flatMap((load) =>
    (['p50', 'p99', 'p999'] as const).map((p) => ({
      name: `replicated.delay.${p}.load${load}`,
      metric: 'latency' as const,
      unit: 'µs',
      baselines: [`baseline.ws.delay.${p}.load${load}`],
      ...(p === 'p99' && load === 50
        ? { target: { text: 'p99 < 5 ms at 50% load', check: (r: ScenarioResult) => (r.median === undefined ? undefined : r.median < 5000) } }
        : {}),
      notes: `open loop at ${load}% of replicated.writes.writers1 over 100,000 keys written before the first load, from the write's intended time to the change applied on another node: the writer's tick (every 250 µs, from a worker thread's sleep; its floor is printed beside), the rest of its event-loop pass (a batch leaves once the pass is over), the map actor's flush, the wire and the receiver's merge; three node processes share 2 vCPUs; the baseline is the same shape over bare ws (a writer on the same ticks, two receivers, three processes) at the same rates`,
    })),
  )
  return [
    {
      id: 'replicated.writes.writers1',
      file: 'replicated/replicated-writes.bench.js',
      params: () => ({ writers: 1 }),
      figures: [
        {
          name: 'replicated.writes.writers1',
          metric: 'throughput',
          unit: 'writes/s',
          baselines: ['baseline.ws-msgpackr.oneway.object'],
          target: { text: '≥ 200,000 replicated writes/s per writing node', check: (r) => (r.median === undefined ? undefined : r.median >= 200_000) },
          notes: "one writer, two receivers, three processes on 2 vCPUs; a write counts when both receivers applied it; the flat-out writer reuses 1,021 premade values; the writer's CPU (set, coalescing, the flush's one encoding for both peers) and the receivers' merges share the cores",
        },
      ],
    },
    {
      id: 'replicated.writes.writers3',
      file: 'replicated/replicated-writes.bench.js',
      params: () => ({ writers: 3 }),
      figures: [
        {
          name: 'replicated.writes.writers3',
          metric: 'throughput',
          unit: 'writes/s',
          baselines: ['replicated.writes.writers1'],
          notes: 'every node writes and receives: per writing node, three processes on 2 vCPUs',
        },
      ],
    },
    {
      id: 'replicated.delay',
      file: 'replicated/replication-delay.bench.js',
      params: (ctx) => ({ loads: LOADS, max: ctx.results.get('replicated.writes.writers1')?.median }),
      // Two open loops per load: the generator alone, then the writes.
      phases: LOADS.length * 2,
      figures: delayFigures,
    },
    {
      id: 'baseline.ws.delay',
      file: 'baselines/wire-delay.bench.js',
      // The rates replicated.delay offered in this run, right after it, so both see the same load.
      params: (ctx) => ({
        rates: Object.fromEntries(LOADS.map((load) => [load, ctx.results.get(`replicated.delay.p50.load${load}`)?.extra?.['offeredRate'] ?? 1000])),
      }),
      phases: LOADS.length,
      figures: LOADS.flatMap((load) =>
        (['p50', 'p99', 'p999'] as const).map((p) => ({
          name: `baseline.ws.delay.${p}.load${load}`,
          metric: 'latency' as const,
          unit: 'µs',
          notes: 'bare ws + msgpackr, one writer on the same ticks to two receivers (three processes), stamped 100-byte Buffers at the same rates',
        })),
      ),
    },
    {
      id: 'replicated.catchup',
      file: 'replicated/catch-up.bench.js',
      extraTimeoutS: 120,
      figures: [
        {
          name: 'replicated.catchup.ms',
          metric: 'latency',
          unit: 'ms',
          target: { text: 'catch-up < 2 s (100,000 keys, 300 changed)', check: (r) => (r.median === undefined ? undefined : r.median < 2000) },
          notes: 'reconnect, handshake, then range digests down to the changed leaves and the 300 entries; a few round trips',
        },
        {
          name: 'replicated.catchup.bytes',
          metric: 'memory',
          unit: '× changed size',
          target: { text: 'bytes moved < 2× the changed keys\' size', check: (r) => (r.median === undefined ? undefined : r.median < 2) },
          notes: 'bytes on the new connection both ways (handshake and ticks included) ÷ the changed keys and values: ~18 B per differing range per tree level, ~8 B per entry of a differing leaf, and the entries',
        },
      ],
    },
    {
      id: 'baseline.replicated.memory.map',
      file: 'replicated/map-memory.bench.js',
      params: () => ({ mode: 'baseline' }),
      execArgv: ['--expose-gc'],
      figures: [{ name: 'baseline.replicated.memory.map', metric: 'memory', unit: 'B/key', notes: 'a plain Map of the same keys and 100-byte Buffers' }],
    },
    {
      id: 'replicated.memory.per-key',
      file: 'replicated/map-memory.bench.js',
      params: () => ({ mode: 'map' }),
      execArgv: ['--expose-gc'],
      figures: [
        {
          name: 'replicated.memory.per-key',
          metric: 'memory',
          unit: 'B/key',
          baselines: ['baseline.replicated.memory.map'],
          notes: "100,000 keys, 100-byte Buffers: each entry's version, fingerprint and range-list links on top of the plain Map",
        },
      ],
    },
    {
      id: 'presence.diff',
      file: 'replicated/presence-diff.bench.js',
      figures: (['p50', 'p99'] as const).map((p) => ({
        name: `presence.diff.${p}`,
        metric: 'latency' as const,
        unit: 'µs',
        baselines: [`baseline.ws.call.inflight1.${p}`],
        notes: '10,000 entries in the topic, 1,000 updates/s on a fixed schedule: update to the diff delivered on another node (one hop); the baseline is a bare ws round trip',
      })),
    },
  ]
}

/**
 * The cache scenarios: redis-benchmark against a node of a three-node Cohort cache and against redis-server with two
 * replicas; replication delay under load, beside Redis primary → replica; the embedded read path beside ioredis GET;
 * the RESP layer alone, in one process, beside the map's share of the same pipelined commands.
 */
function cacheJobs(): JobSpec[] {
  // Half of Redis's requests per second, with the replicas of both sides converged at the end.
  const halfOfRedis: Target = {
    text: '≥ 0.5 × redis-server with two replicas, replicas converged',
    check: (r) => (r.ratio === undefined || r.ratio === null ? undefined : r.ratio >= 0.5 && r.extra?.['converged'] === true),
  }
  const jobs: JobSpec[] = []
  for (const pipeline of [1, 16]) {
    const suffix = `c50${pipeline === 1 ? '' : `.p${pipeline}`}`
    const how = pipeline === 1 ? 'one request per round trip per client' : '16 requests per round trip per client'
    jobs.push({
      id: `baseline.redis.benchmark.${suffix}`,
      file: 'cache/redis-benchmark.bench.js',
      params: () => ({ target: 'redis', pipeline }),
      extraTimeoutS: 120,
      figures: (['set', 'get'] as const).map((op) => ({
        name: `baseline.redis.${op}.${suffix}`,
        metric: 'throughput' as const,
        unit: 'req/s',
        notes: `redis-benchmark -t set,get -c 50 -P ${pipeline} -r 100000 against redis-server (one thread) replicating to two replicas, ${how}`,
      })),
    })
    jobs.push({
      id: `cache.resp.benchmark.${suffix}`,
      file: 'cache/redis-benchmark.bench.js',
      params: () => ({ target: 'cohort', pipeline }),
      extraTimeoutS: 120,
      figures: (['set', 'get'] as const).map((op) => ({
        name: `cache.resp.${op}.${suffix}`,
        metric: 'throughput' as const,
        unit: 'req/s',
        baselines: [`baseline.redis.${op}.${suffix}`],
        target: halfOfRedis,
        notes:
          op === 'set'
            ? `the same redis-benchmark against one node of three: its one JavaScript thread parses RESP, writes the map and encodes replication deltas to two peers (perf with -P 16 after change 63: finding the key's entry about a quarter of the node's samples, memory latency at 100,000 keys; the kernel's socket reads and writes about a fifth; the batch to the peers about a tenth; the node waits for a CPU about a quarter of the time), while the two replicas' merges take about a third of a vCPU each on the same 2 vCPUs, ${how}`
            : `the same redis-benchmark against one node of three: RESP parsing and the reply on one JavaScript thread (perf with -P 16 after change 62: the fast path with the key's lookup and the reply inlined into it about 40 % of the node's samples, the kernel's socket reads and writes about 30 %), ${how}`,
      })),
    })
  }
  const latency = (prefix: string, notes: string, baselinePrefix?: string): FigureSpec[] =>
    LOADS.flatMap((load) =>
      PERCENTILES.map((p) => ({
        name: `${prefix}.${p.label}.load${load}`,
        metric: 'latency' as const,
        unit: 'µs',
        ...(baselinePrefix !== undefined ? { baselines: [`${baselinePrefix}.${p.label}.load${load}`] } : {}),
        notes,
      })),
    )
  jobs.push({
    id: 'cache.replication',
    file: 'cache/replication-delay.bench.js',
    params: () => ({ target: 'cohort', loads: LOADS }),
    phases: LOADS.length + 1,
    figures: latency(
      'cache.replication',
      'write on one node (ioredis over RESP) to visible on the other (reported from its map.subscribe over a socket), open loop at a share of the max write rate; includes the write round trip and a batching turn on each side',
      'baseline.redis.replication',
    ),
  })
  jobs.push({
    id: 'baseline.redis.replication',
    file: 'cache/replication-delay.bench.js',
    // The same absolute rates as Cohort's run, so the two are compared under the same offered load.
    params: (ctx) => ({ target: 'redis', loads: LOADS, rates: ctx.results.get('cache.replication.p50.load25')?.extra?.['ratesByLoad'] }),
    phases: LOADS.length + 1,
    figures: latency('baseline.redis.replication', 'write on the redis-server primary to the keyspace notification from its replica, at the same offered rates as Cohort'),
  })
  for (const op of ['get', 'set'] as const) {
    jobs.push({
      id: `baseline.cache.map.${op}`,
      file: 'cache/resp-pipeline.bench.js',
      params: () => ({ target: 'map', op }),
      figures: [
        {
          name: `baseline.cache.map.${op}`,
          metric: 'throughput',
          unit: 'cmd/CPU-s',
          notes: `the map's share of redis-benchmark's pipelined ${op.toUpperCase()}s in one process, as the RESP fast path calls it: ${op === 'get' ? 'map.getLatin1 of the key\'s bytes' : 'map.setLatin1 of the key\'s bytes with a view of the value, which the map copies'}; no protocol, no socket, no peer`,
        },
      ],
    })
    jobs.push({
      id: `cache.resp.inprocess.${op}.p16`,
      file: 'cache/resp-pipeline.bench.js',
      params: () => ({ target: 'resp', op }),
      figures: [
        {
          name: `cache.resp.inprocess.${op}.p16`,
          metric: 'throughput',
          unit: 'cmd/CPU-s',
          baselines: [`baseline.cache.map.${op}`],
          notes: `the same ${op.toUpperCase()}s through the RESP layer: 50 connections' parsers handed chunks of 16 pipelined commands, run and answered into their RespWriters, no socket; per CPU-second, so a busy machine moves it less than a wall rate`,
        },
      ],
    })
  }
  jobs.push({
    id: 'baseline.redis.ioredis.get',
    file: 'cache/embedded-read.bench.js',
    params: () => ({ target: 'redis' }),
    figures: [
      {
        name: 'baseline.redis.ioredis.get',
        metric: 'throughput',
        unit: 'reads/s',
        notes: 'ioredis GET from redis-server on this machine, 100 in flight, auto-pipelined: a network round trip and RESP decoding per read',
      },
    ],
  })
  jobs.push({
    id: 'cache.embedded.get',
    file: 'cache/embedded-read.bench.js',
    params: () => ({ target: 'cohort' }),
    figures: [
      {
        name: 'cache.embedded.get',
        metric: 'throughput',
        unit: 'reads/s',
        baselines: ['baseline.redis.ioredis.get'],
        notes: 'map.get on the local replica in the application\'s own process: a Map lookup and an expiry check, no network and no encoding',
      },
    ],
  })
  return jobs
}

/**
 * The chat comparison: apps/chat on three nodes against socket.io with the Redis adapter on three servers, one job so
 * that both sides, their maxima and the shared rates of the latency runs come from the same minutes.
 */
function chatJob(): JobSpec {
  const side = (prefix: string, what: string, baseline: boolean): FigureSpec[] => [
    {
      name: `${prefix}.delivered`,
      metric: 'throughput',
      unit: 'deliveries/s',
      ...(baseline
        ? {}
        : {
            baselines: ['baseline.socketio-redis.chat.delivered'],
            target: {
              text: 'at least 2× socket.io + Redis, nothing lost by either side',
              check: (r: ScenarioResult, quick: boolean) => {
                if (quick || r.ratio === null) return undefined
                const lost = r.extra?.['lostInRun'] as { cohort: number; socketio: number } | undefined
                return r.ratio >= 2 && lost?.cohort === 0 && lost.socketio === 0
              },
            },
          }),
      notes: `${what}: saturation, every client keeping 3 own messages in flight; one generator process reads every socket, so its CPU (in the figure's cpu and extra) bounds what it can see`,
    },
    ...LOADS.flatMap((load) =>
      (['p50', 'p99'] as const).map((p) => ({
        name: `${prefix}.${p}.load${load}`,
        metric: 'latency' as const,
        unit: 'µs',
        ...(baseline
          ? {}
          : {
              baselines: [`baseline.socketio-redis.chat.${p}.load${load}`],
              ...(p === 'p99'
                ? {
                    target: {
                      text: 'at most half the p99 of socket.io + Redis',
                      check: (r: ScenarioResult, quick: boolean) => (quick || r.ratio === null ? undefined : r.ratio >= 2),
                    },
                  }
                : {}),
            }),
        notes: `${what}: open loop at ${load} % of the lower of the two maxima (the same absolute rate for both), from intended send to receipt on another server`,
      })),
    ),
  ]
  return {
    id: 'chat',
    file: 'chat/chat.bench.js',
    params: (ctx) => ({ clients: ctx.quick ? 60 : 300, roomSize: 10, window: 3 }),
    // Per side: saturation, then at each load the generator's floor and the open loop; each in rounds of its own
    // warm-up (chat.bench.ts), about half again the time of one warm-up per phase.
    phases: 3 * (2 * LOADS.length + 1),
    extraTimeoutS: 240,
    figures: [
      ...side('baseline.socketio-redis.chat', 'socket.io 4.8 + @socket.io/redis-adapter + redis-server, three servers', true),
      ...side('chat', 'apps/chat, three nodes', false),
    ],
  }
}
