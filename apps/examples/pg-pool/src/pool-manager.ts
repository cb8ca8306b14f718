/**
 * The pool manager: hands connection actors out and takes them back. It knows which connection actors are live (each
 * announces itself once connected, and the manager monitors it), which are idle and which are checked out, and keeps
 * a bounded queue of callers waiting for one, each with its own deadline. A connection that dies is forgotten on its
 * `Down`, wherever it was; a holder actor named at checkout that dies gives its connection back the same way. The
 * manager itself never touches the database.
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
  holder: Pid | undefined
}

/** A checked-out connection, and the monitor of the actor holding it, when the caller named one. */
interface Checkout {
  holderMonitor: Ref | undefined
}

interface ManagerState {
  connections: Map<string, Connection>
  idle: Connection[]
  checkedOut: Map<string, Checkout>
  waiters: Waiter[]
  nextWaiterId: number
}

/** The manager's behaviour for one pool. */
export function poolManagerBehaviour(options: ResolvedPoolOptions, status: PoolStatus): ServerBehaviour<ManagerState, void> {
  const lend = (state: ManagerState, connection: Connection, holder: Pid | undefined, ctx: Ctx): CheckoutReply => {
    // A holder that dies without checking in gives its connection back through this monitor.
    state.checkedOut.set(String(connection.pid), { holderMonitor: holder === undefined ? undefined : ctx.monitor(holder) })
    return { ok: true, pid: connection.pid, backendPid: connection.backendPid }
  }

  const giveBack = (state: ManagerState, key: string, ctx: Ctx): Checkout | undefined => {
    const checkout = state.checkedOut.get(key)
    state.checkedOut.delete(key)
    if (checkout?.holderMonitor !== undefined) ctx.demonitor(checkout.holderMonitor, { flush: true })
    return checkout
  }

  const handOut = (state: ManagerState, connection: Connection, ctx: Ctx): void => {
    const waiter = state.waiters.shift()
    if (waiter === undefined) {
      state.idle.push(connection)
      return
    }
    ctx.cancelTimer(waiter.timer)
    status.waiting = state.waiters.length
    status.observeWait(performance.now() - waiter.since)
    ctx.reply(waiter.from, lend(state, connection, waiter.holder, ctx))
  }

  return {
    name: `${options.name}.manager`,
    init(_args, ctx) {
      // Trapped so that terminate runs on the pool's shutdown and the status stops claiming live connections.
      ctx.trapExit(true)
      return { connections: new Map(), idle: [], checkedOut: new Map(), waiters: [], nextWaiterId: 1 }
    },

    handleCall(request: { type: 'checkout'; timeoutMs: number; holder: Pid | undefined } | { type: 'describe' }, from, state, ctx) {
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
        status.observeWait(0)
        return { reply: lend(state, connection, request.holder, ctx), state }
      }
      if (state.waiters.length >= options.maxWaiting) {
        const message = `${state.waiters.length} callers already wait for a connection (maxWaiting ${options.maxWaiting})`
        return { reply: { ok: false, code: 'COHORT_ERR_POOL_QUEUE_FULL', message } satisfies CheckoutReply, state }
      }
      const id = state.nextWaiterId++
      const timer = ctx.sendAfter(ctx.self, { type: 'waitExpired', id }, request.timeoutMs)
      state.waiters.push({ id, from, since: performance.now(), timer, holder: request.holder })
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
          if (giveBack(state, key, ctx) === undefined || connection === undefined) return state
          handOut(state, connection, ctx)
          return state
        }
        case 'discard':
          // The caller saw this connection fail; it is ending, and its Down will remove it.
          giveBack(state, key, ctx)
          return state
      }
    },

    handleInfo(msg: unknown, state, ctx) {
      if (msg instanceof Down) {
        for (const [key, checkout] of state.checkedOut) {
          if (checkout.holderMonitor === undefined || !msg.ref.equals(checkout.holderMonitor)) continue
          // The holder died with the connection checked out: take it back, as a checkin would.
          state.checkedOut.delete(key)
          const held = state.connections.get(key)
          if (held !== undefined) handOut(state, held, ctx)
          ctx.log.warn({ reason: msg.reason }, 'a connection holder ended without checking in; connection taken back')
          return state
        }
        const key = String(msg.target)
        const connection = state.connections.get(key)
        if (connection === undefined) return state
        state.connections.delete(key)
        giveBack(state, key, ctx)
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
