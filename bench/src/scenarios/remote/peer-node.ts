/**
 * The second node of the two-node scenarios, run as a helper process: a Cohort node with sink actors (count what
 * arrives) and an echo server (answers calls with the request). Driven over IPC by remote-oneway.bench.ts and
 * remote-call.bench.ts; IPC carries only control and readings.
 */
import { startNode } from '@cohort/transport'
import type { TlsOptions } from '@cohort/transport'
import type { Pid, ServerBehaviour } from '@cohort/core'
import { serveRequests } from '../../child/helper-process.ts'
import { COOKIE, HOST } from '../../child/wire.ts'

const args = JSON.parse(process.argv[2] ?? '{}') as { name: string; busyWaitMs?: number; tls?: TlsOptions }
const tls = args.tls !== undefined ? { tls: args.tls } : {}
const node = await startNode({ name: args.name, host: HOST, port: 0, cookie: COOKIE, busyWaitMs: args.busyWaitMs ?? 0, ...tls })
let received = 0
let bytes = 0

const sink: ServerBehaviour<null> = {
  name: 'sink',
  init: () => null,
  handleCall: (_request, _from, state, ctx) => ({ reply: ctx.self, state }),
  handleInfo: (msg: { length?: number }, state) => {
    received++
    // Buffers count their bytes; objects (kind 'object') are counted by the sender, from their encoded size.
    bytes += msg.length ?? 0
    return state
  },
}

const echo: ServerBehaviour<null> = {
  name: 'echo',
  init: () => null,
  handleCall: (request, _from, state, ctx) => ({ reply: request === 'pid' ? ctx.self : request, state }),
}

serveRequests(
  (request) => {
    switch (request['type']) {
      case 'info':
        return { name: node.name, url: node.url }
      case 'sinks': {
        const count = Number(request['count'])
        const pids: Pid[] = []
        for (let i = 0; i < count; i++) pids.push(node.system.spawn(sink, undefined, { name: `sink${i}` }))
        return pids.length
      }
      case 'echo':
        node.system.spawn(echo, undefined, { name: 'echo' })
        return true
      case 'mark':
        return { count: received, bytes, atMs: performance.now(), cpu: process.cpuUsage() }
      case 'stats':
        return node.stats()
      default:
        throw new Error(`unknown request ${String(request['type'])}`)
    }
  },
  () => node.close(),
)
