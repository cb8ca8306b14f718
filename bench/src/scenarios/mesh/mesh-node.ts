/**
 * One node of the mesh scenario, run as a helper process: a Cohort node with, for every other node, one sink (that
 * peer's messages land there) and one sender (sending 64-byte messages to this node's sink on that peer). Senders
 * keep at most WINDOW messages unacknowledged and sinks ack every ACK_EVERY, so mailboxes stay bounded and the
 * figure is the steady rate, not a queue filling up (a node that only received would otherwise fall behind).
 */
import { startNode } from '@cohort/transport'
import type { Pid, ServerBehaviour } from '@cohort/core'
import { serveRequests } from '../../child/helper-process.ts'
import { COOKIE, HOST, payload } from '../../child/wire.ts'

const WINDOW = 20_000
const ACK_EVERY = 1_000

const args = JSON.parse(process.argv[2] ?? '{}') as { name: string; size: number }
const node = await startNode({ name: args.name, host: HOST, port: 0, cookie: COOKIE })
let received = 0
let running = true

const sink: ServerBehaviour<{ sender: Pid | undefined; count: number }> = {
  name: 'sink',
  init: () => ({ sender: undefined, count: 0 }),
  handleCall: (sender: Pid, _from, state, ctx) => ({ reply: ctx.self, state: { ...state, sender } }),
  handleInfo: (_msg, state, ctx) => {
    received++
    if (++state.count % ACK_EVERY === 0) ctx.send(state.sender!, 'ack')
    return state
  },
}

const body = payload(args.size)
// One send per handled message: the scheduler's budget counts messages, not work, so a sender doing many sends per
// message would take most of its node's CPU from the sinks (see RESULTS.md, findings).
const batch = Number(process.env['COHORT_BENCH_MESH_BATCH'] ?? 1)
interface SenderState {
  to: Pid
  sent: number
  acked: number
  waiting: boolean
}
const sender: ServerBehaviour<SenderState, string> = {
  name: 'sender',
  init: async (peer, ctx) => {
    const to = await ctx.call<Pid>({ name: `sink-from-${node.name}`, node: peer }, ctx.self)
    ctx.send(ctx.self, 'go')
    return { to, sent: 0, acked: 0, waiting: false }
  },
  handleInfo: (msg: 'go' | 'ack', state, ctx) => {
    if (msg === 'ack') {
      state.acked += ACK_EVERY
      if (!state.waiting) return state
      state.waiting = false
    }
    if (!running) return state
    if (state.sent - state.acked >= WINDOW) {
      state.waiting = true
      return state
    }
    for (let k = 0; k < batch; k++) ctx.send(state.to, body)
    state.sent += batch
    ctx.send(ctx.self, 'go')
    return state
  },
}

serveRequests(
  async (request) => {
    switch (request['type']) {
      case 'info':
        return { name: node.name, url: node.url }
      case 'connect': {
        const peers = request['peers'] as { name: string; url: string }[]
        for (const p of peers) if (p.name !== node.name) node.system.spawn(sink, undefined, { name: `sink-from-${p.name}` })
        // Only dial nodes with a larger name; the others dial this one (one connection per pair either way).
        await Promise.all(peers.filter((p) => p.name > node.name).map((p) => node.connect(p)))
        return true
      }
      case 'connected':
        return node.nodes().length
      case 'start':
        for (const peer of request['peers'] as string[]) node.system.spawn(sender, peer)
        return true
      case 'mark':
        return { count: received, atMs: performance.now() }
      case 'stats':
        return { stats: node.stats(), depths: node.system.processes().map((p) => `${p.behaviour}:${p.mailboxDepth}`) }
      case 'halt':
        running = false
        return true
      default:
        throw new Error(`unknown request ${String(request['type'])}`)
    }
  },
  () => node.close(),
)
