/**
 * One node of the groups.fanout scenario, run as a helper process: a Cohort node with the default process-group
 * scope and a share of the group's members (sinks that count deliveries). On the publisher's node, a publisher
 * sends each message to the group, either with `broadcast` (one copy per remote node, fanned out there) or, for the
 * naive figure, with one send per member. One member per node acks every ACK_EVERY messages so the publisher keeps
 * at most WINDOW messages in flight per node and mailboxes stay bounded.
 */
import { startGroups } from '@cohort/core'
import type { Pid, ServerBehaviour } from '@cohort/core'
import { startNode } from '@cohort/transport'
import { serveRequests } from '../../child/helper-process.ts'
import { COOKIE, HOST } from '../../child/wire.ts'

const GROUP = 'bench:fanout'
const WINDOW = 200
const ACK_EVERY = 20

const args = JSON.parse(process.argv[2] ?? '{}') as { name: string }
const node = await startNode({ name: args.name, host: HOST, port: 0, cookie: COOKIE })
const groups = startGroups(node.system)
let delivered = 0
let running = true

const member: ServerBehaviour<{ acker: boolean; count: number }, boolean> = {
  name: 'member',
  init: (acker) => ({ acker, count: 0 }),
  handleInfo: (msg: { seq: number; publisher: Pid }, state, ctx) => {
    delivered++
    if (state.acker && ++state.count % ACK_EVERY === 0) ctx.send(msg.publisher, { ack: node.name, upTo: msg.seq })
    return state
  },
}

interface PublisherState {
  mode: 'broadcast' | 'naive'
  seq: number
  acked: Map<string, number>
  waiting: boolean
}
const publisher: ServerBehaviour<PublisherState, { mode: 'broadcast' | 'naive'; nodes: string[] }> = {
  name: 'publisher',
  init: ({ mode, nodes }, ctx) => {
    ctx.send(ctx.self, 'go')
    return { mode, seq: 0, acked: new Map(nodes.map((n) => [n, 0])), waiting: false }
  },
  handleInfo: (msg: 'go' | { ack: string; upTo: number }, state, ctx) => {
    if (msg !== 'go') {
      state.acked.set(msg.ack, Math.max(state.acked.get(msg.ack) ?? 0, msg.upTo))
      if (!state.waiting) return state
      state.waiting = false
    }
    if (!running) return state
    if (state.seq - Math.min(...state.acked.values()) >= WINDOW) {
      state.waiting = true
      return state
    }
    const message = { seq: ++state.seq, publisher: ctx.self }
    if (state.mode === 'broadcast') groups.broadcast(GROUP, message, { sender: ctx })
    else for (const pid of groups.members(GROUP)) ctx.send(pid, message)
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
        await Promise.all(peers.filter((p) => p.name > node.name).map((p) => node.connect(p)))
        return true
      }
      case 'join': {
        const count = Number(request['members'])
        const pids = Array.from({ length: count }, (_, i) => node.system.spawn(member, i === 0))
        groups.join(GROUP, pids)
        return true
      }
      case 'members':
        return groups.members(GROUP).length
      case 'publish':
        node.system.spawn(publisher, { mode: request['mode'] as 'broadcast' | 'naive', nodes: request['nodes'] as string[] })
        return true
      case 'mark':
        return { count: delivered, atMs: performance.now() }
      case 'halt':
        running = false
        return true
      default:
        throw new Error(`unknown request ${String(request['type'])}`)
    }
  },
  () => node.close(),
)
