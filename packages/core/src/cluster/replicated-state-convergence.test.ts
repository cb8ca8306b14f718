/**
 * Convergence of the replicated map and the presence tracker as a property: random schedules of writes, deletes,
 * TTLs, tracks, untracks, process exits, node crashes, restarts and partitions over 3 to 5 nodes, in virtual time on
 * the in-memory network, end (after every partition heals, every crashed node restarts, and the network is quiet)
 * with the same map on every node, and with presence lists that hold exactly the entries of live tracked processes.
 * fast-check prints the seed and the shrunk schedule of a failure, to replay it with `{ seed, path }`.
 */
import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ProcessCtx } from '../actor/process-function.ts'
import type { Pid } from '../pid.ts'
import type { ActorSystem } from '../system/actor-system.ts'
import { createNetwork } from '../testing/in-memory-network.ts'
import type { InMemoryNetwork } from '../testing/in-memory-network.ts'
import { startPresence } from './presence/presence.ts'
import type { Presence } from './presence/presence.ts'
import { startReplicatedMap } from './replicated-map/replicated-map.ts'
import type { ReplicatedMap } from './replicated-map/replicated-map.ts'

type Command =
  | { op: 'set'; node: number; key: number; value: number | Buffer; ttlMs: number | undefined }
  | { op: 'delete'; node: number; key: number }
  | { op: 'advance'; ms: number }
  | { op: 'settle' }
  | { op: 'crash'; node: number }
  | { op: 'restart'; node: number }
  | { op: 'partition'; side: number[] }
  | { op: 'heal' }
  | { op: 'track'; node: number; topic: number; key: number; meta: number }
  | { op: 'untrack'; which: number }
  | { op: 'exit'; which: number }

const node = fc.integer({ min: 0, max: 4 })
/**
 * Numbers, and Buffers: small ones, which a receiver keeps in shared blocks that it compacts as their values are
 * overwritten (value-blocks.ts), and now and then one larger than half a block, which gets memory of its own.
 */
const value: fc.Arbitrary<number | Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((fill) => Buffer.alloc(5000, fill)) },
)
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), node, key: fc.integer({ min: 0, max: 9 }), value, ttlMs: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), node, key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'settle' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crash' as const), node }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const), node }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('partition' as const), side: fc.uniqueArray(node, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'heal' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('track' as const), node, topic: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 3 }), meta: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('untrack' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), which: fc.nat() }) },
)

interface Member {
  system: ActorSystem
  map: ReplicatedMap<number | Buffer>
  presence: Presence
}

interface Tracked {
  pid: Pid
  node: string
  topic: string
  key: string
  meta: number
}

/** Runs one schedule and checks the end state; returns nothing, throws on divergence. */
async function run(nodeCount: number, commands: readonly Command[], tombstoneTtlMs: number): Promise<void> {
  const net: InMemoryNetwork = createNetwork()
  const names = Array.from({ length: nodeCount }, (_, i) => `n${i}@h`)
  const members = new Map<string, Member>()
  const start = (name: string, system: ActorSystem): void => {
    members.set(name, {
      system,
      map: startReplicatedMap<number | Buffer>(system, { tombstoneTtlMs, syncIntervalMs: 0 }),
      presence: startPresence(system),
    })
  }
  let tracked: Tracked[] = []
  try {
    for (const name of names) start(name, net.addNode(name))
    for (const c of commands) {
      const name = 'node' in c ? names[c.node % nodeCount]! : ''
      const m = members.get(name)
      switch (c.op) {
        case 'set':
          m?.map.set(`k${c.key}`, c.value, c.ttlMs === undefined ? {} : { ttlMs: c.ttlMs })
          break
        case 'delete':
          m?.map.delete(`k${c.key}`)
          break
        case 'advance':
          await net.clock.advance(c.ms)
          break
        case 'settle':
          await net.settle()
          break
        case 'crash':
          if (m === undefined) break
          members.delete(name)
          tracked = tracked.filter((t) => t.node !== name)
          await net.kill(name)
          break
        case 'restart':
          if (m === undefined) start(name, net.restart(name))
          break
        case 'partition': {
          const side = [...new Set(c.side.map((i) => names[i % nodeCount]!))].filter((n) => members.has(n))
          const rest = [...members.keys()].filter((n) => !side.includes(n))
          if (side.length > 0 && rest.length > 0) net.partition(side, rest)
          break
        }
        case 'heal':
          net.heal()
          break
        case 'track': {
          if (m === undefined) break
          const pid = m.system.spawn(async (ctx: ProcessCtx) => {
            await ctx.receive(() => false)
          })
          const t = { pid, node: name, topic: `t${c.topic}`, key: `u${c.key}`, meta: c.meta }
          m.presence.track(pid, t.topic, t.key, t.meta)
          tracked.push(t)
          break
        }
        case 'untrack': {
          const t = tracked[c.which % Math.max(1, tracked.length)]
          if (t === undefined) break
          members.get(t.node)!.presence.untrack(t.pid, t.topic, t.key)
          tracked = tracked.filter((x) => x !== t)
          break
        }
        case 'exit': {
          const t = tracked[c.which % Math.max(1, tracked.length)]
          if (t === undefined) break
          members.get(t.node)!.system.exit(t.pid, 'kill')
          tracked = tracked.filter((x) => x.pid !== t.pid)
          break
        }
      }
    }
    net.heal()
    for (const name of names) if (!members.has(name)) start(name, net.restart(name))
    await net.settle()

    const sorted = (map: ReplicatedMap<number | Buffer>): Array<[string, number | Buffer]> => map.entries().sort(([a], [b]) => (a < b ? -1 : 1))
    const first = members.get(names[0]!)!
    for (const name of names) {
      const m = members.get(name)!
      expect(sorted(m.map), `map of ${name}`).toEqual(sorted(first.map))
      expect(m.map.size, `size of ${name}`).toBe(first.map.size)
    }
    for (const topic of ['t0', 't1', 't2']) {
      const expected = tracked
        .filter((t) => t.topic === topic)
        .map((t) => `${t.key}:${t.meta}:${t.node}:${t.pid.key}`)
        .sort()
      for (const name of names) {
        const got = members
          .get(name)!
          .presence.list(topic)
          .map((e) => `${e.key}:${String(e.meta)}:${e.node}:${e.pid.key}`)
          .sort()
        expect(got, `presence of ${topic} on ${name}`).toEqual(expected)
      }
    }
  } finally {
    await net[Symbol.asyncDispose]()
  }
}

describe('replicated map and presence: convergence', () => {
  it('every schedule of writes, TTLs, tracks, crashes, restarts and partitions converges after heal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3, max: 5 }), fc.array(command, { minLength: 1, maxLength: 40 }), fc.constantFrom(200, 600_000), (n, commands, ttl) =>
        run(n, commands, ttl),
      ),
      { numRuns: 60, verbose: 1 },
    )
  }, 120_000)
})
