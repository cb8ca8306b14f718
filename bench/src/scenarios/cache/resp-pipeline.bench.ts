/**
 * cache.resp.inprocess.<get|set>.p16: the cache's RESP layer alone, in one process, on the pipelined traffic of
 * `redis-benchmark -t set,get -c 50 -P 16 -r 100000`: 50 connections, each handed chunks of 16 commands as a socket
 * would hand them, parsed, run against a replicated map and answered into the connection's RespWriter, with no socket
 * and no peer. The baseline does only the map's share of the same commands, as the RESP layer's fast path calls it:
 * `map.getLatin1` of the key's bytes in the chunk, or `map.setLatin1` of them with a view of the value (which the map
 * copies). The ratio is what the protocol leaves of the map's own speed (1.0: parsing and replies cost nothing).
 *
 * Figures are commands per CPU-second of the process, not per wall second: the loop never waits, so its CPU time is
 * its work, and a busy machine that takes the core away for a while changes the wall rate but not this one.
 */
import { Buffer } from 'node:buffer'
import { startReplicatedMap } from '@cohort/core'
import { CommandSession, executeCommand, RespParser, RespWriter, runGetOrSet } from '@cohort/cache'
import type { CacheMap, ServerFacts } from '@cohort/cache'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'
import { COOKIE, HOST } from '../../child/wire.ts'
import { caughtUpLoadingCheck } from './caught-up-loading-check.ts'

const CONNECTIONS = 50
const PIPELINE = 16
const KEYSPACE = 100_000
const CHUNKS = 1_000
const VALUE = 'xxx'
/** Commands per slice of the event loop, so the sampler's timers still run between slices. */
const SLICE = 20_000

/** One multibulk request, as redis-benchmark sends it. */
function multibulk(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`, 'latin1')
}

/** redis-benchmark's key for `-r`: `key:` and twelve digits. */
function key(n: number): string {
  return `key:${String(n).padStart(12, '0')}`
}

runScenario(async (params: ScenarioParams) => {
  const target = params['target'] as 'resp' | 'map'
  const op = params['op'] as 'get' | 'set'
  const node = await startNode({ name: `resp@${HOST}`, host: HOST, port: 0, cookie: COOKIE, logger: pino({ level: 'silent' }) })
  const map = startReplicatedMap<Uint8Array>(node.system, { scope: 'cache' }) as CacheMap
  for (let i = 0; i < KEYSPACE; i++) map.set(key(i), Buffer.from(VALUE))
  // A fixed pseudo-random sequence of keys, the same for both targets.
  let seed = 12345
  const nextKey = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % KEYSPACE
  const chunks: Buffer[] = []
  const keyRanges: Int32Array[] = []
  for (let c = 0; c < CHUNKS; c++) {
    const commands = Array.from({ length: PIPELINE }, () => (op === 'get' ? ['GET', key(nextKey())] : ['SET', key(nextKey()), VALUE]))
    const chunk = Buffer.concat(commands.map(multibulk))
    chunks.push(chunk)
    // For the baseline: where each command's key and value lie in the chunk, found once, outside the measured loop.
    const parser = new RespParser()
    parser.push(chunk)
    const ranges = new Int32Array(PIPELINE * 4)
    for (let i = 0; i < PIPELINE; i++) {
      parser.parse()
      ranges.set([parser.starts[1]!, parser.ends[1]!, parser.starts[2]!, parser.ends[2]!], i * 4)
    }
    keyRanges.push(ranges)
  }
  const facts: ServerFacts = {
    nodeName: node.name,
    version: '0',
    startedAt: 0,
    port: 0,
    connectedClients: () => CONNECTIONS,
    totalCommands: () => 0,
    memory: () => ({ rss: 0, heapUsed: 0 }),
    loading: caughtUpLoadingCheck(map),
  }
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => ({
    parser: new RespParser(),
    out: new RespWriter(),
    session: new CommandSession(map, () => node.system.clock.now(), facts, i + 1),
  }))

  let commands = 0
  let replyBytes = 0
  let next = 0
  const viaResp = (): void => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const c = connections[i]!
      c.parser.push(chunks[next++ % CHUNKS]!)
      for (let argc = c.parser.parse(); argc !== 0; argc = c.parser.parse()) {
        if (!runGetOrSet(argc, c.parser, c.session, c.out)) executeCommand(c.parser.args(argc), c.session, c.out)
      }
      for (const part of c.out.take()) replyBytes += part.length
    }
    commands += CONNECTIONS * PIPELINE
  }
  const viaMap = (): void => {
    for (let i = 0; i < CONNECTIONS; i++) {
      const at = next++ % CHUNKS
      const chunk = chunks[at]!
      const ranges = keyRanges[at]!
      for (let j = 0; j < PIPELINE * 4; j += 4) {
        if (op === 'get') replyBytes += map.getLatin1(chunk, ranges[j]!, ranges[j + 1]!)?.length ?? 0
        else map.setLatin1(chunk, ranges[j]!, ranges[j + 1]!, chunk.subarray(ranges[j + 2]!, ranges[j + 3]!))
      }
    }
    commands += CONNECTIONS * PIPELINE
  }
  const step = target === 'resp' ? viaResp : viaMap
  let running = true
  const loop = (): void => {
    if (!running) return
    for (let n = 0; n < SLICE; n += CONNECTIONS * PIPELINE) step()
    setImmediate(loop)
  }
  loop()
  const { rates, cpu } = await sampleRates(params, () => ({ count: commands, atMs: nowMs() }))
  running = false
  await node.close()
  // Commands per CPU-second: the wall rate divided by the share of a vCPU the process had in that trial.
  const values = rates.map((rate, i) => rate / Math.max(cpu.self[i]!.total, 0.05))
  const name = target === 'resp' ? `cache.resp.inprocess.${op}.p16` : `baseline.cache.map.${op}`
  return [{ name, values, cpu: { sender: cpu.self }, extra: { connections: CONNECTIONS, pipeline: PIPELINE, keyspace: KEYSPACE, wallRates: rates, checksum: replyBytes % 7 } }]
})
