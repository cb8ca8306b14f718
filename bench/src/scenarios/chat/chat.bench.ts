/**
 * Chat across three server processes: apps/chat on Cohort against socket.io 4 with `@socket.io/redis-adapter` and a
 * real redis-server, driven in the same run by the same load generator process (this one): many WebSocket clients
 * in rooms of 10 spread over the three servers, every client receiving its own messages too.
 *
 * Figures (both sides, same definitions, chat-load.ts):
 * - `chat.delivered`: deliveries per second at saturation (closed loop, a few own messages in flight per client);
 * - `chat.<p50|p99>.load<25|50|90>`: latency from intended send to receipt on another server, in µs, in an open loop
 *   offering 25, 50 and 90 % of the lower of the two sides' maxima, so both are measured at the same absolute rates.
 * The two sides alternate in rounds within each figure (below). Every phase ends by waiting for every expected
 * delivery: what never comes is reported as lost. The generator's CPU, send lag and event-loop delay, and the servers'
 * and redis's CPU, are kept with each figure; each latency figure also carries the generator's floor, the same
 * schedule run alone right before it (ChatLoad.floor).
 */
import { LOADS } from '../../registry.ts'
import { runScenario, SkipScenario } from '../../child/harness.ts'
import type { ChildResult } from '../../child/protocol.ts'
import { ChatLoad } from './chat-load.ts'
import type { Stretch } from './chat-load.ts'
import { redisServerPath, startCohortChat, startSocketIoChat } from './chat-servers.ts'
import type { ChatServers } from './chat-servers.ts'

interface ChatParams {
  quick: boolean
  warmupMs: number
  trialMs: number
  trials: number
  clients: number
  roomSize: number
  window: number
}

const PREFIX = { cohort: 'chat', socketio: 'baseline.socketio-redis.chat' } as const
/** CPU seconds the servers of a side spend on the workload before the first measurement, and the most time for it. */
const WARM_CPU_SECONDS = { full: 3, quick: 0.5 } as const
const WARM_MAX_MS = 20_000
/** Rounds per figure (fewer when there are fewer trials): each side measures its share of the trials per round. */
const ROUNDS = 3

runScenario<ChatParams & { cpuProfDir: string | undefined; [key: string]: unknown }>(async (params) => {
  const redis = redisServerPath()
  if (redis === undefined) throw new SkipScenario('redis-server is not installed (Debian package redis-server): the socket.io baseline needs it')
  const drainMs = 10_000
  const started: ChatServers[] = []
  const loads: ChatLoad[] = []
  try {
    const sides = [await startSocketIoChat(redis, params.cpuProfDir), await startCohortChat(params.cpuProfDir)]
    started.push(...sides)
    const bySide = new Map<ChatServers, ChatLoad>()
    for (const side of sides) {
      const probes: Record<string, () => number> = { servers: () => side.servers.reduce((sum, s) => sum + s.cpuSeconds(), 0) }
      for (const extra of side.extras) probes[extra.label] = () => extra.cpuSeconds()
      const load = await ChatLoad.connect(side.name, side.bases, params.clients, params.roomSize, probes)
      loads.push(load)
      bySide.set(side, load)
      await load.settle(20_000)
    }
    // Each side's servers run the workload until they have spent this much CPU on it before anything is measured.
    const warmCpu = new Map<ChatServers, number>()
    for (const side of sides) {
      warmCpu.set(side, await bySide.get(side)!.warm(params.window, params.quick ? WARM_CPU_SECONDS.quick : WARM_CPU_SECONDS.full, WARM_MAX_MS, drainMs))
    }
    const results: ChildResult[] = []
    const lost = { cohort: 0, socketio: 0 }
    // Both sides alternate within each figure, a round of each at a time, so that a change in what the shared machine
    // leaves them (other work starting or stopping) lands on both sides of a ratio alike, as the runner's rounds do
    // for two-process figures. Each round has its own warm-up.
    const rounds = Math.min(params.trials, ROUNDS)
    const perRound = Math.ceil(params.trials / rounds)
    const saturated = new Map<ChatServers, { stretches: Stretch[]; lost: number }>(sides.map((side) => [side, { stretches: [], lost: 0 }]))
    for (let round = 0; round < rounds; round++) {
      for (const side of sides) {
        const { stretches, lost: missing } = await bySide.get(side)!.saturate(params.window, params.warmupMs, params.trialMs, perRound, drainMs)
        saturated.get(side)!.stretches.push(...stretches)
        saturated.get(side)!.lost += missing
      }
    }
    const maxima = new Map<ChatServers, number>()
    for (const side of sides) {
      const { stretches, lost: missing } = saturated.get(side)!
      lost[side.name] += missing
      maxima.set(side, median(stretches.map((s) => s.delivered)))
      results.push(figure(`${PREFIX[side.name]}.delivered`, stretches.map((s) => s.delivered), stretches, { lost: missing, clients: params.clients, roomSize: params.roomSize, window: params.window, rounds, warmCpuSeconds: hundredths(warmCpu.get(side) ?? 0) }))
    }
    const lower = Math.min(...maxima.values())
    for (const load of LOADS) {
      const rate = Math.round((lower * load) / 100)
      const measured = new Map<ChatServers, { floor: Stretch[]; stretches: Stretch[]; lost: number }>(sides.map((side) => [side, { floor: [], stretches: [], lost: 0 }]))
      for (let round = 0; round < rounds; round++) {
        for (const side of sides) {
          const generator = bySide.get(side)!
          const into = measured.get(side)!
          // The generator alone first, at the same rate and in the same minute: the floor under this side's figures.
          into.floor.push(...(await generator.floor(rate, params.warmupMs, params.trialMs, perRound)))
          const { stretches, lost: missing } = await generator.offer(rate, params.warmupMs, params.trialMs, perRound, drainMs)
          into.stretches.push(...stretches)
          into.lost += missing
        }
      }
      for (const side of sides) {
        const { floor, stretches, lost: missing } = measured.get(side)!
        lost[side.name] += missing
        const extra = { offeredDeliveriesPerS: rate, lost: missing, delivered: Math.round(median(stretches.map((s) => s.delivered))), rounds }
        for (const p of ['p50', 'p99'] as const) {
          const key = `${p}Us` as const
          const floorTrials = floor.map((s) => s[key])
          results.push(
            figure(`${PREFIX[side.name]}.${p}.load${load}`, stretches.map((s) => s[key]), stretches, {
              ...extra,
              generatorFloor: Math.round(median(floorTrials)),
              generatorFloorTrials: floorTrials,
              generatorFloorP999Us: Math.round(median(floor.map((s) => s.p999Us))),
            }),
          )
        }
      }
    }
    // Losses of the whole run on both sides, where a target can read them.
    for (const r of results) Object.assign(r.extra!, { lostInRun: lost })
    return results
  } finally {
    for (const load of loads) await load.close()
    for (const side of started) await side.stop()
  }
})

function figure(name: string, values: number[], stretches: Stretch[], extra: Record<string, unknown>): ChildResult {
  return {
    name,
    values: values.map((v) => Math.round(v)),
    cpu: {
      sender: stretches.map((s) => ({ total: s.generatorCpu, system: 0 })),
      receiver: stretches.map((s) => ({ total: s.cpu['servers'] ?? 0, system: 0 })),
    },
    extra: {
      ...extra,
      generatorCpu: hundredths(median(stretches.map((s) => s.generatorCpu))),
      sendLagP99: Math.round(median(stretches.map((s) => s.sendLagP99Us))),
      generatorLoopDelayP99Us: Math.round(median(stretches.map((s) => s.loopDelayP99Us))),
      serversCpu: hundredths(median(stretches.map((s) => s.cpu['servers'] ?? 0))),
      ...(stretches[0]?.cpu['redis-server'] !== undefined ? { redisCpu: hundredths(median(stretches.map((s) => s.cpu['redis-server'] ?? 0))) } : {}),
      // CPU per delivered message, which the machine's load moves less than how much CPU each side got: the servers
      // (with redis-server on socket.io's side) and, apart, the generator, in µs of one vCPU.
      serversCpuUsPerDelivery: tenths(median(stretches.map((s) => perDelivery((s.cpu['servers'] ?? 0) + (s.cpu['redis-server'] ?? 0), s.delivered)))),
      generatorCpuUsPerDelivery: tenths(median(stretches.map((s) => perDelivery(s.generatorCpu, s.delivered)))),
      p999Us: Math.round(median(stretches.map((s) => s.p999Us))),
      sameServerP50Us: Math.round(median(stretches.map((s) => s.sameServerP50Us))),
      sameServerP99Us: Math.round(median(stretches.map((s) => s.sameServerP99Us))),
    },
  }
}

/** vCPUs spent while delivering `delivered` messages a second, as µs of CPU per delivery (one decimal). */
function perDelivery(vcpus: number, delivered: number): number {
  return delivered > 0 ? Math.round((vcpus / delivered) * 1e7) / 10 : 0
}

function hundredths(value: number): number {
  return Math.round(value * 100) / 100
}

function tenths(value: number): number {
  return Math.round(value * 10) / 10
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
