/**
 * A Cohort node in its own process running a replicated map and a presence tracker (scope 'e2e'), driven by the
 * parent test over IPC (the protocol of spawn-node.ts). Runs the compiled packages. Reports `ready` once listening,
 * then events: nodeup/nodedown and `presence` diffs of the 'room' topic. Commands: connect, waitPeers, set, delete, fill,
 * entries, digest, stats, waitKeys, waitState, spawnTracked, list.
 */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { startPresence, startReplicatedMap } from '@cohort/core'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'

const config = JSON.parse(process.argv[2] ?? '{}')
const logger = pino({ level: config.logLevel ?? 'info', base: null }, pino.destination(2))
const send = (message) => process.send?.(message)
const fromPid = (pid) => ({ node: pid.node, id: pid.id, creation: pid.creation })

const node = await startNode({ name: config.name, cookie: 'e2e-cookie', host: '127.0.0.1', port: 0, tickMs: config.tickMs, logger })
const system = node.system
node.on('nodeup', (name) => send({ type: 'event', kind: 'nodeup', node: name }))
node.on('nodedown', (name, reason) => send({ type: 'event', kind: 'nodedown', node: name, reason }))

const map = startReplicatedMap(system, { scope: 'e2e' })
const presence = startPresence(system, { scope: 'e2e' })
presence.subscribe('room', ({ joins, leaves }) => {
  const wire = (e) => ({ key: e.key, meta: e.meta, node: e.node, pid: fromPid(e.pid) })
  send({ type: 'event', kind: 'presence', joins: joins.map(wire), leaves: leaves.map(wire) })
})

/** Waiters of `until`, woken by every change of the map and every message its actor takes (peers arriving). */
const wakers = new Set()
const wakeAll = () => {
  for (const wake of [...wakers]) wake()
}
map.subscribe(wakeAll)
system.trace((record) => {
  if (record.type === 'receive' && record.pid.equals(map.pid)) setImmediate(wakeAll)
})
const until = (check, timeoutMs = 30_000) =>
  new Promise((resolve, reject) => {
    const attempt = () => {
      const value = check()
      if (value === undefined) return
      wakers.delete(attempt)
      clearTimeout(timer)
      resolve(value)
    }
    const timer = setTimeout(() => {
      wakers.delete(attempt)
      reject(new Error(`condition not met in time; map has ${map.size} keys`))
    }, timeoutMs)
    wakers.add(attempt)
    attempt()
  })

/** The live entries, sorted, values as hex of their bytes (Buffers) or JSON. */
const entries = () =>
  map
    .entries()
    .map(([k, v]) => [k, Buffer.isBuffer(v) ? `bin:${v.toString('hex')}` : JSON.stringify(v)])
    .sort(([a], [b]) => (a < b ? -1 : 1))

const commands = {
  connect: ({ name, url }) => node.connect({ name, url }),
  set: ({ key, value, ttlMs }) => map.set(key, value, ttlMs === undefined ? {} : { ttlMs }),
  delete: ({ key }) => map.delete(key),
  /** Writes `count` keys `prefix0..` with Buffer values (the binary values of a cache), then the key `done`. */
  fill: async ({ prefix, count, tag, done }) => {
    for (let i = 0; i < count; i++) {
      map.set(`${prefix}${i}`, Buffer.from(`${tag}:${i}`))
      // Lets the map actor flush batches while a long loop runs, as a server handling requests would.
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
    }
    if (done !== undefined) map.set(done, tag)
  },
  entries: () => entries(),
  digest: () => createHash('sha256').update(JSON.stringify(entries())).digest('hex'),
  stats: () => map.stats(),
  /** Resolves once every key of `keys` is present. */
  /** Resolves once the map has `count` peers: from then on every write goes to all of them, in order. */
  waitPeers: ({ count }) => until(() => (map.peers().length >= count ? map.peers().length : undefined)),
  waitKeys: ({ keys }) => until(() => (keys.every((k) => map.has(k)) ? map.size : undefined)),
  /** Resolves once the map holds `size` keys, every key of `present` and none of `absent`. */
  waitState: ({ size, present = [], absent = [] }) =>
    until(() => (map.size === size && present.every((k) => map.has(k)) && !absent.some((k) => map.has(k)) ? map.size : undefined)),
  spawnTracked: ({ key, meta }) => {
    const pid = system.spawn(async (ctx) => {
      await ctx.receive(() => false)
    })
    presence.track(pid, 'room', key, meta)
    return fromPid(pid)
  },
  list: () => presence.list('room').map((e) => ({ key: e.key, node: e.node })).sort((a, b) => (a.node < b.node ? -1 : 1)),
}

process.on('message', async (message) => {
  const { id, command, args } = message
  try {
    const fn = commands[command]
    if (fn === undefined) throw new Error(`unknown command ${command}`)
    const value = await fn(args ?? {})
    send({ type: 'reply', id, ok: true, value: value ?? null })
  } catch (error) {
    send({ type: 'reply', id, ok: false, error: { message: error?.message ?? String(error), code: error?.code } })
  }
})
process.on('disconnect', () => process.exit(0))

send({ type: 'ready', name: node.name, url: node.url, port: node.port, creation: system.creation, pid: process.pid })
