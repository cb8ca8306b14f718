/**
 * The one child-node script of the multi-process suites: a Cohort node in its own process, driven by the parent test
 * over IPC (see spawn-node.ts). Runs compiled JS: '@cohort/transport' and '@cohort/core' resolve to their dist under
 * plain node. Reports `ready` with its URL once listening, then node events, and answers commands: connect, nodes,
 * spawn, call, send, watch (link or monitor), orderSink/orderSend (ordering checks), leave, close. Logs JSON lines
 * (pino) to stderr for the parent to keep.
 *
 * Options switch on what some suites need besides: `contract` defines the Distribution contract's behaviours
 * (test/contracts), `clusterServices` starts groups and global names and answers their commands (test/cluster), with
 * `singleton` a manager of the 'ticker' singleton too, and `replicated` starts a replicated map and a presence tracker
 * (scope 'e2e') and answers theirs (test/cluster): set, delete, fill, entries, digest, mapStats, waitPeers, waitKeys,
 * waitState, spawnTracked, list, with `presence` events of the 'room' topic.
 */
import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import { Down, Exit, Pid, startGlobal, startGroups, startPresence, startReplicatedMap } from '@cohort/core'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'
import { defineContractBehaviours } from '../contracts/contract-behaviours.mjs'
import { send, serveCommands } from './ipc-child.mjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const logger = pino({ level: config.logLevel ?? 'info', base: null }, pino.destination(2))

const toPid = (p) => new Pid(p.node, p.id, p.creation)
const fromPid = (pid) => ({ node: pid.node, id: pid.id, creation: pid.creation })
const toAddress = (to) => (typeof to === 'object' && to !== null && 'id' in to ? toPid(to) : to)
const describe = (reason) => (reason instanceof Error ? `${reason.name}: ${reason.message}` : typeof reason === 'string' ? reason : JSON.stringify(reason))

const echo = {
  name: 'echo',
  init: () => null,
  handleCall: (req, _from, state) => ({ reply: req, state }),
  handleInfo: (msg, state, ctx) => {
    if (msg && typeof msg === 'object' && msg.replyTo) ctx.send(toPid(msg.replyTo), { echo: msg.body })
    if (msg === 'crash') throw new Error('asked to crash')
    return state
  },
}

/** Links to (trapping exits) or monitors `target` and reports what arrives. */
const watcher = {
  name: 'watcher',
  init: ({ target, link, tag }, ctx) => {
    if (link) {
      ctx.trapExit(true)
      ctx.link(toPid(target))
    } else ctx.monitor(toPid(target))
    return { tag }
  },
  handleInfo: (msg, state) => {
    if (msg instanceof Exit) send({ type: 'event', kind: 'exit', tag: state.tag, reason: describe(msg.reason) })
    else if (msg instanceof Down) send({ type: 'event', kind: 'down', tag: state.tag, reason: describe(msg.reason) })
    return state
  },
}

/** Receives `{ seq }` messages and reports once `count` arrived, with whether they came in order. */
const orderSink = {
  name: 'orderSink',
  init: ({ count, tag }) => ({ count, tag, next: 0, inOrder: true }),
  handleInfo: (msg, s) => {
    if (msg.seq !== s.next) s.inOrder = false
    s.next++
    if (s.next === s.count) send({ type: 'event', kind: 'orderDone', tag: s.tag, received: s.next, inOrder: s.inOrder })
    return s
  },
}

/** Sends `count` `{ seq }` messages to `to` in batches, yielding between batches so backpressure can pause it. */
const orderSender = {
  name: 'orderSender',
  init: ({ to, count }, ctx) => {
    ctx.send(ctx.self, 'batch')
    return { to: toPid(to), count, seq: 0 }
  },
  handleInfo: (msg, s, ctx) => {
    if (msg !== 'batch') return s
    const end = Math.min(s.count, s.seq + 1000)
    for (; s.seq < end; s.seq++) ctx.send(s.to, { seq: s.seq })
    if (s.seq < s.count) ctx.send(ctx.self, 'batch')
    return s
  },
}

/** Waiters of `until`, woken by every change the services report (group membership, global names, the map). */
const wakers = new Set()
const changed = () => {
  for (const wake of [...wakers]) wake()
}

/** Resolves when `check()` returns a value other than undefined, checking again at every reported change. */
const until = (check, describeWait = () => '', timeoutMs = 30_000) =>
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
      reject(new Error(`condition not met within ${timeoutMs} ms${describeWait()}`))
    }, timeoutMs)
    wakers.add(attempt)
    attempt()
  })

const node = await startNode({
  name: config.name,
  cookie: config.cookie ?? 'e2e-cookie',
  host: '127.0.0.1',
  port: config.port ?? 0,
  tickMs: config.tickMs,
  hidden: config.hidden ?? false,
  logger,
})
const system = node.system
system.register('echo', system.spawn(echo))
if (config.contract === true) defineContractBehaviours(system)
node.on('nodeup', (name) => send({ type: 'event', kind: 'nodeup', node: name }))
node.on('nodedown', (name, reason) => send({ type: 'event', kind: 'nodedown', node: name, reason }))

const commands = {
  connect: ({ name, url }) => node.connect({ name, url }),
  nodes: () => node.nodes(),
  stats: () => node.stats(),
  spawn: ({ behaviour, args }) => {
    const behaviours = { echo, watcher, orderSink, orderSender }
    return fromPid(node.system.spawn(behaviours[behaviour], args))
  },
  call: ({ to, request, timeoutMs }) => node.system.call(toAddress(to), request, timeoutMs),
  send: ({ to, msg }) => node.system.send(toAddress(to), msg),
  whereis: ({ name }) => {
    const pid = node.system.whereis(name)
    return pid === undefined ? null : fromPid(pid)
  },
  leave: async () => {
    await node.leave()
    setImmediate(() => process.exit(0))
  },
  close: async () => {
    await node.close()
    setImmediate(() => process.exit(0))
  },
}

if (config.clusterServices === true) Object.assign(commands, startClusterServices())
if (config.replicated === true) Object.assign(commands, startReplicatedServices())

/** Groups, global names and (with `singleton`) the 'ticker' singleton, and the commands that drive them. */
function startClusterServices() {
  const groups = startGroups(system)
  const global = startGlobal(system)
  groups.monitor('room', (e) => send({ type: 'event', kind: `group:${e.type}`, group: e.group, pids: e.pids.map(fromPid) }))

  const member = async (ctx) => {
    for (;;) await ctx.receive()
  }
  system.define('ticker', {
    name: 'ticker',
    init: (_args, ctx) => {
      send({ type: 'event', kind: 'singletonStarted', node: system.node, pid: fromPid(ctx.self) })
      return null
    },
    handleCall: (_req, _from, state) => ({ reply: system.node, state }),
  })
  if (config.singleton === true) global.singleton('ticker', 'ticker', undefined, { staggerMs: 200, restartDelayMs: 200 })

  groups.monitorScope(changed)
  global.monitorNames((e) => {
    send({ type: 'event', kind: 'global', name: e.name, pid: e.pid === undefined ? null : fromPid(e.pid) })
    changed()
  })

  return {
    spawnMember: () => fromPid(system.spawn(member)),
    join: ({ group, pid }) => groups.join(group, toPid(pid)),
    synced: ({ timeoutMs }) => groups.synced(timeoutMs === undefined ? {} : { timeoutMs }),
    members: ({ group }) => groups.members(group).map(fromPid),
    waitMembers: ({ group, nodes }) =>
      until(() => {
        const got = [...new Set(groups.members(group).map((p) => p.node))].sort()
        return JSON.stringify(got) === JSON.stringify([...nodes].sort()) ? got : undefined
      }),
    register: ({ name, pid }) => global.register(name, toPid(pid)),
    whereisGlobal: ({ name }) => {
      const pid = global.whereis(name)
      return pid === undefined ? null : fromPid(pid)
    },
    waitGlobal: ({ name, node: on }) => until(() => (global.whereis(name)?.node === on ? fromPid(global.whereis(name)) : undefined)),
    callGlobal: ({ name }) => system.call({ global: name }, 'where'),
  }
}

/** A replicated map and a presence tracker (scope 'e2e'), and the commands that drive them. */
function startReplicatedServices() {
  const map = startReplicatedMap(system, { scope: 'e2e' })
  const presence = startPresence(system, { scope: 'e2e' })
  presence.subscribe('room', ({ joins, leaves }) => {
    const wire = (e) => ({ key: e.key, meta: e.meta, node: e.node, pid: fromPid(e.pid) })
    send({ type: 'event', kind: 'presence', joins: joins.map(wire), leaves: leaves.map(wire) })
  })
  // Waits wake at every change of the map and at every message its actor takes (peers arriving).
  map.subscribe(changed)
  system.trace((record) => {
    if (record.type === 'receive' && record.pid.equals(map.pid)) setImmediate(changed)
  })
  const mapUntil = (check) => until(check, () => `; the map has ${map.size} keys and ${map.peers().length} peers`)

  /** The live entries, sorted, values as hex of their bytes (Buffers) or JSON. */
  const entries = () =>
    map
      .entries()
      .map(([k, v]) => [k, Buffer.isBuffer(v) ? `bin:${v.toString('hex')}` : JSON.stringify(v)])
      .sort(([a], [b]) => (a < b ? -1 : 1))

  return {
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
    /** Keys of `keys` present here now, without waiting. */
    present: ({ keys }) => keys.filter((k) => map.has(k)),
    /** `synced()`: resolves once every peer holds this node's writes so far. */
    synced: ({ timeoutMs }) => map.synced({ timeoutMs }),
    replicatedTo: ({ atLeast, timeoutMs }) => map.replicatedTo({ atLeast, timeoutMs }),
    digest: () => createHash('sha256').update(JSON.stringify(entries())).digest('hex'),
    mapStats: () => map.stats(),
    /** Resolves once the map has `count` peers: from then on every write goes to all of them, in order. */
    waitPeers: ({ count }) => mapUntil(() => (map.peers().length >= count ? map.peers().length : undefined)),
    /** Resolves once every key of `keys` is present. */
    waitKeys: ({ keys }) => mapUntil(() => (keys.every((k) => map.has(k)) ? map.size : undefined)),
    /** Resolves once the map holds `size` keys, every key of `present` and none of `absent`. */
    waitState: ({ size, present = [], absent = [] }) =>
      mapUntil(() => (map.size === size && present.every((k) => map.has(k)) && !absent.some((k) => map.has(k)) ? map.size : undefined)),
    spawnTracked: ({ key, meta }) => {
      const pid = system.spawn(async (ctx) => {
        await ctx.receive(() => false)
      })
      presence.track(pid, 'room', key, meta)
      return fromPid(pid)
    },
    list: () => presence.list('room').map((e) => ({ key: e.key, node: e.node })).sort((a, b) => (a.node < b.node ? -1 : 1)),
    /** `presence.synced()`: resolves once every connected node lists this node's changes. */
    presenceSynced: () => presence.synced(),
  }
}

serveCommands(commands)

send({ type: 'ready', name: node.name, url: node.url, port: node.port, creation: node.system.creation, pid: process.pid })
