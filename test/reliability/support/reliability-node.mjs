/**
 * A Cohort node in its own process for the reliability suites, driven over IPC with the protocol of
 * test/support/node-process.mjs (ready, event, request/reply). Runs the compiled packages. It can:
 *
 * - keep connecting to a static list of peers (joinCluster), so links heal after a partition or a restart;
 * - run the cluster services (a member in group 'g', a global name per node, a replicated map and a presence tracker
 *   with one entry per node);
 * - send steady traffic with per-sender sequence numbers to the 'sink' of other nodes, and check what its own sink
 *   receives: per sender and connection epoch, sequence numbers must be contiguous (nothing lost or reordered while
 *   a connection lived) and must start where the sender's epoch started;
 * - report memory, file descriptors and the node's stats; shut down gracefully on SIGTERM, reporting what it had
 *   accepted for sending before it stopped.
 */
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { Pid, startGlobal, startGroups, startPresence, startReplicatedMap } from '@cohort/core'
import { joinCluster, staticPeers } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'
import { send, serveCommands } from '../../support/ipc-child.mjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const logger = pino({ level: config.logLevel ?? 'warn', base: null }, pino.destination(2))


const node = await startNode({
  name: config.name,
  cookie: config.cookie ?? 'reliability-cookie-0123456789abcdefghijklmnopq',
  host: config.host ?? '127.0.0.1',
  port: config.port ?? 0,
  ...(config.url === undefined ? {} : { url: config.url }),
  ...(config.tickMs === undefined ? {} : { tickMs: config.tickMs }),
  ...(config.node ?? {}),
  logger,
})
const system = node.system
node.on('nodeup', (name) => send({ type: 'event', kind: 'nodeup', node: name, at: Date.now() }))
node.on('nodedown', (name, reason) => send({ type: 'event', kind: 'nodedown', node: name, reason, at: Date.now() }))

// ---- the sink: per-sender sequence checks -------------------------------------------------------------------------

const sink = { received: 0, gaps: 0, lateStarts: 0, epochs: 0, bySender: new Map(), lastSeq: new Map() }
system.register(
  'sink',
  system.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive()
      if (m === null || typeof m !== 'object' || typeof m.s !== 'number') continue
      sink.received++
      const key = `${m.n}/${m.c}/${m.e}`
      const seen = sink.bySender.get(key)
      if (seen === undefined) {
        sink.epochs++
        if (m.s !== m.e0) sink.lateStarts++
      } else if (m.s !== seen + 1) sink.gaps++
      sink.bySender.set(key, m.s)
      sink.lastSeq.set(`${m.n}/${m.c}`, m.s)
    }
  }),
)

// ---- the senders: steady traffic with sequence numbers --------------------------------------------------------------

/** Per target node: the connection epoch (bumped at every nodedown of that node, when its queue is dropped). */
const epochs = new Map()
system.monitorNodes((e) => {
  if (e.type !== 'nodedown') return
  const t = targets.get(e.node)
  if (t !== undefined) {
    t.epoch++
    t.epochStart = t.seq
  }
})
const targets = new Map()
let trafficOn = false
let sent = 0
/** Sender loops paused by backpressure right now: waiting on a drain that had not resolved when they asked. */
let heldBack = 0

/** `ctx.drain()`, counting the loop in `heldBack` while the drain it waits for is a real pause. */
async function drainCounted(ctx) {
  let settled = false
  const drained = ctx.drain().then(() => {
    settled = true
  })
  // An already resolved drain settles in the microtask queued before this await's; a pending one does not.
  await Promise.resolve()
  if (settled) return
  heldBack++
  try {
    await drained
  } finally {
    heldBack--
  }
}
/** Sender loops still running, and who waits for them to end (stopTraffic). */
let runningSenders = 0
let sendersStopped = []
const senderEnded = () => {
  runningSenders--
  if (runningSenders > 0) return
  for (const resolve of sendersStopped.splice(0)) resolve()
}

function startTraffic({ to, perTick = 20, everyMs = 10, padBytes = 0, sinkName = 'sink' }) {
  trafficOn = true
  const pad = 'x'.repeat(padBytes)
  for (const name of to) {
    if (targets.has(name)) continue
    const t = { seq: 0, epoch: 0, epochStart: 0 }
    targets.set(name, t)
    epochs.set(name, t)
    runningSenders++
    system.spawn(async (ctx) => {
      const dest = { name: sinkName, node: name }
      try {
        await sendLoop(ctx, dest, t)
      } finally {
        senderEnded()
      }
    })
  }
  async function sendLoop(ctx, dest, t) {
    for (;;) {
      if (!trafficOn) return
      for (let i = 0; i < perTick && trafficOn; i++) {
        ctx.send(dest, { n: system.node, c: system.creation, e: t.epoch, e0: t.epochStart, s: t.seq, pad })
        t.seq++
        sent++
        await drainCounted(ctx)
      }
      await ctx.receive(() => false, everyMs)
    }
  }
}

// ---- cluster services -----------------------------------------------------------------------------------------------

let groups
let global
let map
let presence
function startServices() {
  groups = startGroups(system)
  global = startGlobal(system)
  map = startReplicatedMap(system, { scope: 'reliability' })
  presence = startPresence(system, { scope: 'reliability' })
  const member = system.spawn(async (ctx) => {
    for (;;) await ctx.receive()
  })
  groups.join('g', member)
  void global.register(`name-${system.node}`, member).catch(() => undefined)
  presence.track(member, 'room', system.node, { since: Date.now() })
}

/** The map's live entries, sorted, as JSON: what every node must agree on after a heal. */
const mapDigest = () => {
  const entries = map.entries().sort(([a], [b]) => (a < b ? -1 : 1))
  return { size: entries.length, digest: createHash('sha256').update(JSON.stringify(entries)).digest('hex') }
}

/** A consumer that takes `handleMs` of CPU per message (the slow consumer), counting what it handled. */
let slowHandled = 0
function startSlowConsumer({ handleMs = 1 }) {
  system.register(
    'slow',
    system.spawn({
      name: 'slow',
      init: () => null,
      handleInfo: (_msg, state) => {
        const until = performance.now() + handleMs
        while (performance.now() < until);
        slowHandled++
        return state
      },
    }),
  )
}

/**
 * The transport README's upload loop: a process function that only sends 1 MiB chunks, awaiting ctx.drain() between
 * sends; and a receiver ('uploads') that checks they arrive whole and in order.
 */
const upload = { sent: 0, done: false }
const uploads = { received: 0, inOrder: true, bytes: 0 }
system.register(
  'uploads',
  system.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive()
      if (m?.seq !== uploads.received) uploads.inOrder = false
      uploads.received++
      uploads.bytes += m?.chunk?.length ?? 0
    }
  }),
)
function startUpload({ to, chunkBytes, count }) {
  system.spawn(async (ctx) => {
    for (let seq = 0; seq < count; seq++) {
      ctx.send({ name: 'uploads', node: to }, { seq, chunk: Buffer.alloc(chunkBytes, seq & 255) })
      upload.sent++
      await ctx.drain()
    }
    upload.done = true
  })
}

/** Sends `count` messages to the pid `to`, one every `everyMs`; resolves with the nodedowns of its node meanwhile. */
function sendPaced({ to, count, everyMs }) {
  const pid = new Pid(to.node, to.id, to.creation)
  let downs = 0
  const stop = system.monitorNodes((e) => {
    if (e.type === 'nodedown' && e.node === to.node) downs++
  })
  return new Promise((resolve) => {
    let i = 0
    const timer = setInterval(() => {
      system.send(pid, { i })
      if (++i < count) return
      clearInterval(timer)
      stop()
      resolve({ sent: i, nodedowns: downs })
    }, everyMs)
  })
}

/** A consumer that takes nothing until its gate opens (an actor stuck on something else), then counts. */
let openGate = () => undefined
const gated = { handled: 0 }
function startGatedConsumer() {
  const gate = new Promise((resolve) => (openGate = resolve))
  system.register(
    'gated',
    system.spawn(async (ctx) => {
      await gate
      for (;;) {
        await ctx.receive()
        gated.handled++
      }
    }),
  )
}

let cluster
const commands = {
  gatedConsumer: () => startGatedConsumer(),
  openGate: () => openGate(),
  gatedDepth: () => ({ handled: gated.handled, depth: system.processes().find((p) => p.name === 'gated')?.mailboxDepth ?? 0 }),
  sendPaced: (args) => sendPaced(args),
  upload: (args) => startUpload(args),
  uploadState: () => ({ ...upload, ...uploads, queued: node.stats().peers.reduce((n, p) => n + p.queuedBytes, 0), rss: process.memoryUsage().rss }),
  slowConsumer: (args) => startSlowConsumer(args),
  slowDepth: () => ({ handled: slowHandled, depth: system.processes().find((p) => p.name === 'slow')?.mailboxDepth ?? 0, heapUsed: process.memoryUsage().heapUsed }),
  join: ({ peers, reconnectInitialMs = 200, reconnectMaxMs = 1000 }) => {
    cluster = joinCluster(node, staticPeers(peers.filter((p) => p.name !== node.name)), { logger, reconnectInitialMs, reconnectMaxMs })
  },
  connect: ({ name, url }) => node.connect({ name, url }),
  nodes: () => node.nodes().sort(),
  services: () => startServices(),
  members: () => [...new Set(groups.members('g').map((p) => p.node))].sort(),
  globalNames: () => global.registered().sort(),
  /** Writes `count` keys `prefix0..`, each with this node's name as its value. */
  mapWrite: ({ prefix, count, value = system.node }) => {
    for (let i = 0; i < count; i++) map.set(`${prefix}${i}`, value)
  },
  mapDigest: () => mapDigest(),
  mapGet: ({ key }) => map.get(key) ?? null,
  /** The nodes with an entry in presence topic 'room', as this node sees them. */
  presence: () => [...new Set(presence.list('room').map((e) => e.node))].sort(),
  traffic: (args) => startTraffic(args),
  /** Stops the senders and resolves once every one of them has ended (its last send accepted). */
  stopTraffic: () => {
    trafficOn = false
    if (runningSenders === 0) return undefined
    return new Promise((resolve) => sendersStopped.push(resolve))
  },
  report: () => ({
    sink: { received: sink.received, gaps: sink.gaps, lateStarts: sink.lateStarts, epochs: sink.epochs, lastSeq: Object.fromEntries(sink.lastSeq) },
    sent,
    heldBack,
    targets: Object.fromEntries([...targets].map(([k, t]) => [k, { seq: t.seq, epoch: t.epoch }])),
    memory: process.memoryUsage(),
    fds: readdirSync('/proc/self/fd').length,
    stats: node.stats(),
  }),
  close: async () => {
    await cluster?.stop?.()
    await node.close()
    setImmediate(() => process.exit(0))
  },
}

// Graceful shutdown: stop taking new work, report what was accepted for sending, leave (which flushes it), exit.
process.once('SIGTERM', async () => {
  trafficOn = false
  const accepted = Object.fromEntries([...targets].map(([k, t]) => [k, { lastSeq: t.seq - 1, epoch: t.epoch }]))
  send({ type: 'event', kind: 'terminating', accepted, at: Date.now() })
  await node.leave()
  process.exit(0)
})

serveCommands(commands)

send({ type: 'ready', name: node.name, url: node.url, port: node.port, creation: system.creation, pid: process.pid })
