/**
 * A Cohort node in its own process running the cluster services (groups, global, a singleton), driven by the parent
 * test over IPC (see spawn-cluster-node.ts). Runs the compiled packages. Reports `ready` once listening, then events:
 * node events, group events of the 'room' group, and `singletonStarted` when an instance of the singleton starts
 * here. Commands: connect, nodes, spawnMember, join, members, register, whereis, waitMembers, waitGlobal.
 */
import { Pid, startGlobal, startGroups } from '@cohort/core'
import { startNode } from '@cohort/transport'
import { pino } from 'pino'

const config = JSON.parse(process.argv[2] ?? '{}')
const logger = pino({ level: config.logLevel ?? 'info', base: null }, pino.destination(2))
const send = (message) => process.send?.(message)
const toPid = (p) => new Pid(p.node, p.id, p.creation)
const fromPid = (pid) => ({ node: pid.node, id: pid.id, creation: pid.creation })

const node = await startNode({ name: config.name, cookie: config.cookie ?? 'e2e-cookie', host: '127.0.0.1', port: 0, tickMs: config.tickMs, logger })
const system = node.system
node.on('nodeup', (name) => send({ type: 'event', kind: 'nodeup', node: name }))
node.on('nodedown', (name, reason) => send({ type: 'event', kind: 'nodedown', node: name, reason }))

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

const commands = {
  connect: ({ name, url }) => node.connect({ name, url }),
  nodes: () => node.nodes(),
  spawnMember: () => fromPid(system.spawn(member)),
  join: ({ group, pid }) => groups.join(group, toPid(pid)),
  members: ({ group }) => groups.members(group).map(fromPid),
  waitMembers: ({ group, nodes }) =>
    until(() => {
      const got = [...new Set(groups.members(group).map((p) => p.node))].sort()
      return JSON.stringify(got) === JSON.stringify([...nodes].sort()) ? got : undefined
    }),
  register: ({ name, pid }) => global.register(name, toPid(pid)),
  whereis: ({ name }) => {
    const pid = global.whereis(name)
    return pid === undefined ? null : fromPid(pid)
  },
  waitGlobal: ({ name, node: on }) => until(() => (global.whereis(name)?.node === on ? fromPid(global.whereis(name)) : undefined)),
  callGlobal: ({ name }) => system.call({ global: name }, 'where'),
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
