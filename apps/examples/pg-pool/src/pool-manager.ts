/**
 * The pool manager: hands connection actors out and takes them back. It knows which connection actors are live (each
 * announces itself once connected, and the manager monitors it), which are idle and which are checked out, and keeps
 * a bounded queue of callers waiting for one, each with its own deadline. A connection that dies is forgotten on its
 * `Down`, wherever it was; the manager itself never touches the database.
 */
import { Down } from '@cohort/core'
import type { Ctx, From, Pid, Ref, ServerBehaviour } from '@cohort/core'
import type { ResolvedPoolOptions } from './pool-options.ts'
import type { PoolStatus } from './pool-status.ts'

/** What a checkout call answers. */
export type CheckoutReply =
  | { ok: true; pid: Pid; backendPid: number }
  | { ok: false; code: 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT' | 'COHORT_ERR_POOL_QUEUE_FULL'; message: string }

/** A snapshot of the manager's tables, for `pool.describe()`. */
export interface PoolSnapshot {
  alive: number
  idle: number
  checkedOut: number
  waiting: number
  /** Server process ids of the live connections (what `pg_stat_activity.pid` shows). */
  backendPids: number[]
}

interface Connection {
  pid: Pid
  backendPid: number
  monitor: Ref
}

interface Waiter {
  id: number
  from: From
  since: number
  timer: Ref
}

interface ManagerState {
  connections: Map<string, Connection>
  idle: Connection[]
  checkedOut: Set<string>
  waiters: Waiter[]
  nextWaiterId: number
}

/** The manager's behaviour for one pool. */
export function poolManagerBehaviour(options: ResolvedPoolOptions, status: PoolStatus): ServerBehaviour<ManagerState, void> {
  const handOut = (state: ManagerState, connection: Connection, ctx: Ctx): void => {
    const waiter = state.waiters.shift()
    if (waiter === undefined) {
      state.idle.push(connection)
      return
    }
    ctx.cancelTimer(waiter.timer)
    status.waiting = state.waiters.length
    status.observeWait(performance.now() - waiter.since)
    state.checkedOut.add(String(connection.pid))
    ctx.reply(waiter.from, { ok: true, pid: connection.pid, backendPid: connection.backendPid } satisfies CheckoutReply)
  }

  return {
    name: `${options.name}.manager`,
    init(_args, ctx) {
      // Trapped so that terminate runs on the pool's shutdown and the status stops claiming live connections.
      ctx.trapExit(true)
      return { connections: new Map(), idle: [], checkedOut: new Set(), waiters: [], nextWaiterId: 1 }
    },

    handleCall(request: { type: 'checkout'; timeoutMs: number } | { type: 'describe' }, from, state, ctx) {
      if (request.type === 'describe') {
        const reply: PoolSnapshot = {
          alive: state.connections.size,
          idle: state.idle.length,
          checkedOut: state.checkedOut.size,
          waiting: state.waiters.length,
          backendPids: [...state.connections.values()].map((c) => c.backendPid),
        }
        return { reply, state }
      }
      const connection = state.idle.shift()
      if (connection !== undefined) {
        state.checkedOut.add(String(connection.pid))
        status.observeWait(0)
        return { reply: { ok: true, pid: connection.pid, backendPid: connection.backendPid } satisfies CheckoutReply, state }
      }
      if (state.waiters.length >= options.maxWaiting) {
        const message = `${state.waiters.length} callers already wait for a connection (maxWaiting ${options.maxWaiting})`
        return { reply: { ok: false, code: 'COHORT_ERR_POOL_QUEUE_FULL', message } satisfies CheckoutReply, state }
      }
      const id = state.nextWaiterId++
      const timer = ctx.sendAfter(ctx.self, { type: 'waitExpired', id }, request.timeoutMs)
      state.waiters.push({ id, from, since: performance.now(), timer })
      status.waiting = state.waiters.length
      return { noreply: state }
    },

    handleCast(request: { type: 'up'; pid: Pid; backendPid: number } | { type: 'checkin' | 'discard'; pid: Pid }, state, ctx) {
      const key = String(request.pid)
      switch (request.type) {
        case 'up': {
          const connection = { pid: request.pid, backendPid: request.backendPid, monitor: ctx.monitor(request.pid) }
          state.connections.set(key, connection)
          status.alive = state.connections.size
          status.emit('connectionUp', { backendPid: request.backendPid, alive: status.alive })
          handOut(state, connection, ctx)
          return state
        }
        case 'checkin': {
          const connection = state.connections.get(key)
          // Unknown: it died after it was checked out, and its Down already removed it.
          if (!state.checkedOut.delete(key) || connection === undefined) return state
          handOut(state, connection, ctx)
          return state
        }
        case 'discard':
          // The caller saw this connection fail; it is ending, and its Down will remove it.
          state.checkedOut.delete(key)
          return state
      }
    },

    handleInfo(msg: unknown, state, ctx) {
      if (msg instanceof Down) {
        const key = String(msg.target)
        const connection = state.connections.get(key)
        if (connection === undefined) return state
        state.connections.delete(key)
        state.checkedOut.delete(key)
        state.idle = state.idle.filter((c) => c !== connection)
        status.alive = state.connections.size
        status.emit('connectionDown', { backendPid: connection.backendPid, alive: status.alive, reason: JSON.stringify(msg.reason) ?? String(msg.reason) })
        return state
      }
      const expired = msg as { type?: unknown; id?: unknown }
      if (expired.type === 'waitExpired') {
        const at = state.waiters.findIndex((w) => w.id === expired.id)
        const waiter = state.waiters[at]
        if (waiter === undefined) return state
        state.waiters.splice(at, 1)
        status.waiting = state.waiters.length
        status.observeWait(performance.now() - waiter.since)
        const message = `no connection became free within ${Math.round(performance.now() - waiter.since)} ms (${state.connections.size} of ${options.size} connections alive)`
        ctx.reply(waiter.from, { ok: false, code: 'COHORT_ERR_POOL_CHECKOUT_TIMEOUT', message } satisfies CheckoutReply)
        return state
      }
      ctx.log.warn({ msgType: typeof msg }, 'pool manager ignored an unexpected message')
      return state
    },

    terminate() {
      status.alive = 0
      status.waiting = 0
    },
  }
}
