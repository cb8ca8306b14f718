/**
 * replicated.delay.<p50|p99|p999>.load<25|50|90>: the delay from `set` on one node to the change applied on another
 * (helper processes, three nodes, one writer), open loop: writes are due on a fixed schedule at a share of the
 * measured maximum (`replicated.writes.writers1` of this run), and each delay is measured from the write's intended
 * time on the machine-wide monotonic clock, so a stalled writer counts against the figure.
 *
 * Before each load the writer runs the same open loop at the same rate writing nothing (the generator's floor: how
 * late the loop itself gets to a write on this machine, which no map can beat), and each trial reports the CPU of the
 * writer (`sender`, the generator included) and of the busier receiver, and the measured loop's send lag p99.
 *
 * Every load writes the same 100,000 keys, written once before the first load and held by every node before it
 * starts: the map is the bounded one `replicated.writes` measures its maximum on, and each load measures writes of
 * keys that exist. (With a new set of keys per load, as before, each load began by inserting 100,000 keys, and on a
 * fast run the backlog of those inserts outlasted the warm-up into the first one or two of five trials.)
 */
import { runScenario, sleep } from '../../child/harness.ts'
import { startHelper } from '../../child/helper-process.ts'
import type { Helper } from '../../child/helper-process.ts'
import type { ChildResult, CpuShare, ScenarioParams } from '../../child/protocol.ts'
import { HOST } from '../../child/wire.ts'

const NODES = 3
/** The prefix of the keys every load writes (replicated-node.ts `fill` and `rate`). */
const PREFIX = 'd:'

/** What a node reports for one trial (replicated-node.ts `trialOf`). */
interface Trial {
  p50: number
  p99: number
  p999: number
  count: number
  lagP99: number
  cpu: CpuShare
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

runScenario(async (params: ScenarioParams) => {
  const loads = params['loads'] as number[]
  const max = Number(params['max'] ?? 100_000)
  const names = Array.from({ length: NODES }, (_, i) => `rdelay${i}@${HOST}`)
  const nodes: Helper[] = await Promise.all(names.map((name) => startHelper(import.meta.url, './replicated-node.js', { name }, params.cpuProfDir)))
  try {
    const infos = await Promise.all(nodes.map((n) => n.request<{ name: string; url: string }>({ type: 'info' })))
    await Promise.all(nodes.map((n) => n.request({ type: 'connect', peers: infos })))
    const [writer, receiver, other] = nodes as [Helper, Helper, Helper]
    const keys = await writer.request<number>({ type: 'fill', prefix: PREFIX })
    await Promise.all([receiver, other].map((n) => n.request({ type: 'waitSize', size: keys })))
    const results: ChildResult[] = []
    /** One trial of every node: the receiver's delays, the writer's send lag, and each node's CPU. */
    const trialOfAll = async (kind: 'delays' | 'floorDelays'): Promise<{ receiver: Trial; writer: Trial; other: Trial }> => {
      const [w, r, o] = await Promise.all([writer.request<Trial>({ type: kind }), receiver.request<Trial>({ type: 'delays' }), other.request<Trial>({ type: 'delays' })])
      return { writer: w, receiver: r, other: o }
    }
    const run = async (start: Record<string, unknown>, kind: 'delays' | 'floorDelays'): Promise<{ receiver: Trial; writer: Trial; other: Trial }[]> => {
      await writer.request(start)
      await sleep(params.warmupMs)
      await trialOfAll(kind)
      const trials: { receiver: Trial; writer: Trial; other: Trial }[] = []
      for (let t = 0; t < params.trials; t++) {
        await sleep(params.trialMs)
        trials.push(await trialOfAll(kind))
      }
      await writer.request({ type: 'halt' })
      return trials
    }
    for (const load of loads) {
      const rate = Math.max(100, Math.round((max * load) / 100))
      const floor = await run({ type: 'floor', rate }, 'floorDelays')
      const trials = await run({ type: 'rate', prefix: PREFIX, rate }, 'delays')
      const cpu = {
        sender: trials.map((t) => t.writer.cpu),
        receiver: trials.map((t) => (t.receiver.cpu.total >= t.other.cpu.total ? t.receiver.cpu : t.other.cpu)),
      }
      for (const p of ['p50', 'p99', 'p999'] as const) {
        results.push({
          name: `replicated.delay.${p}.load${load}`,
          values: trials.map((t) => t.receiver[p]),
          cpu,
          extra: {
            offeredRate: rate,
            max,
            changesPerTrial: trials.map((t) => t.receiver.count),
            generatorFloor: median(floor.map((t) => t.writer[p])),
            generatorFloorTrials: floor.map((t) => t.writer[p]),
            sendLagP99: median(trials.map((t) => t.writer.lagP99)),
            generatorAloneCpu: median(floor.map((t) => t.writer.cpu.total)),
          },
        })
      }
    }
    return results
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
  }
})
