/**
 * The one child-node script of the multi-process suites: a Cohort node in its own process, driven by the parent test
 * over IPC (see spawn-node.ts). Runs compiled JS: '@cohort/transport' and '@cohort/core' resolve to their dist under
 * plain node. Reports `ready` with its URL once listening, then node events, and answers commands: connect, nodes,
 * spawn, call, send, watch (link or monitor), orderSink/orderSend (ordering checks), leave, close. Logs JSON lines
 * (pino) to stderr for the parent to keep.
 *
 * Options switch on what some suites need besides: `contract` defines the Distribution contract's behaviours
 * (test/contracts), `clusterServices` starts groups and global names and answers their commands (test/cluster), with
 * `singleton` a manager of the 'ticker' singleton too.
 */
import { Down, Exit, Pid, startGlobal, startGroups } from '@cohort/core'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'
import { defineContractBehaviours } from '../contracts/contract-behaviours.mjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const logger = pino({ level: config.logLevel ?? 'info', base: null }, pino.destination(2))
const send = (message) => process.send?.(message)

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

  /** Waiters of `until`, woken by every change the services report (group membership, global names). */
  const wakers = new Set()
  const changed = () => {
    for (const wake of [...wakers]) wake()
  }
  groups.monitorScope(changed)
  global.monitorNames((e) => {
    send({ type: 'event', kind: 'global', name: e.name, pid: e.pid === undefined ? null : fromPid(e.pid) })
    changed()
  })

  /** Resolves when `check()` returns a value other than undefined, checking again at every reported change. */
  const until = (check, timeoutMs = 20_000) =>
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
        reject(new Error('condition not met in time'))
      }, timeoutMs)
      wakers.add(attempt)
      attempt()
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

send({ type: 'ready', name: node.name, url: node.url, port: node.port, creation: node.system.creation, pid: process.pid })
