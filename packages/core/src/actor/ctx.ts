/**
 * Ctx: an actor's handle on the runtime, passed to every callback. Everything an actor does (send, call, spawn,
 * link, monitor, timers, exit, logging) goes through it, so the runtime knows who is acting: a send to a busy peer
 * pauses this actor, timers die with it, links and monitors are its own.
 */
import type { Logger } from 'pino'
import type { Pid } from '../pid.ts'
import type { Ref } from '../ref.ts'
import type { Behaviour } from './behaviour.ts'

/** Where a message can go: a pid, a name registered on this node, a name on another node, or a global name. */
export type Address<Msg = unknown> = Pid<Msg> | string | { name: string; node: string } | { global: string }

/** The caller of `handleCall`, to pass to `reply`. */
export interface From {
  readonly pid: Pid
  readonly ref: Ref
}

/** Options for spawning an actor. */
export interface SpawnOptions {
  /** Register the new actor under this local name. @default undefined */
  name?: string
  /** Link the new actor to the spawner. @default false */
  link?: boolean
  /**
   * The most messages the actor's mailbox may hold; one arriving at a full mailbox is handled by `mailboxOverflow`.
   * Remote senders are slowed down before that (the connection feeding the actor is not read while its mailbox is
   * over half this), so the bound mostly catches local floods. @default unbounded
   */
  maxMailbox?: number
  /**
   * What a message arriving at a full mailbox does: `'dropNewest'` drops it as a dead letter (reason `'overflow'`,
   * traced and counted), `'exit'` ends the actor with the reason `'mailboxOverflow'` (its supervisor decides what
   * next). @default 'dropNewest'
   */
  mailboxOverflow?: 'dropNewest' | 'exit'
}

/** An actor's handle on the runtime. */
export interface Ctx {
  /** This actor's pid. */
  readonly self: Pid
  /** The actor that spawned this one (undefined for actors spawned from outside any actor). */
  readonly parent: Pid | undefined
  /** A pino logger bound to `{ pid }`, created the first time it is used. */
  readonly log: Logger
  /**
   * Sends `msg` to `to`; never throws for a dead or unknown target (that is a dead letter). A send to a node whose
   * connection is over its high-water mark pauses this actor before its next message; a process function that sends
   * without receiving should `await ctx.drain()` between sends.
   */
  send(to: Address, msg: unknown): void
  /**
   * Resolves once this actor is no longer held back by backpressure (at once when it is not): after a send to a busy
   * peer, until that connection drains. How a process function that only sends (a file upload loop, say) is bounded:
   * `ctx.send(to, chunk); await ctx.drain()`.
   */
  drain(): Promise<void>
  /** Calls a server behaviour (or any actor that replies to call requests) and resolves with its reply. */
  call<R = unknown>(to: Address, request: unknown, timeoutMs?: number): Promise<R>
  /** Sends a cast (handled by `handleCast`) to `to`. */
  cast(to: Address, request: unknown): void
  /** Spawns an actor; its `init` runs later, on the scheduler. */
  spawn<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid
  /** Spawns and links atomically. */
  spawnLink<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Pid
  /** Spawns and monitors atomically. */
  spawnMonitor<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): { pid: Pid; ref: Ref }
  /** Spawns, links, and resolves once `init` has succeeded; rejects with StartFailedError if it failed. */
  startLink<A>(behaviour: Behaviour<A> | string, args?: A, options?: SpawnOptions): Promise<Pid>
  /** Spawns a named behaviour on another node (see `ActorSystem.define`). */
  spawnOn(node: string, behaviour: string, args?: unknown, options?: { link?: boolean }): Promise<Pid>
  /** Links this actor to `pid`; a dead pid sends this actor an exit signal with `'noproc'`. */
  link(pid: Pid): void
  unlink(pid: Pid): void
  /** Monitors `target`; a `Down` message arrives when it ends (at once, with `'noproc'`, if it does not exist). */
  monitor(target: Pid | string | { name: string; node: string }): Ref
  /** Cancels a monitor; with `flush`, also removes its `Down` if it is already in the mailbox. */
  demonitor(ref: Ref, options?: { flush?: boolean }): void
  /** When on, exit signals from links arrive as `Exit` messages instead of killing this actor. */
  trapExit(on: boolean): void
  /** Sends `msg` to `to` after `delayMs`; the timer is cancelled if this actor ends first. */
  sendAfter(to: Address, msg: unknown, delayMs: number): Ref
  /** Cancels a timer from `sendAfter`; returns false if it had already fired or was unknown. */
  cancelTimer(ref: Ref): boolean
  /** Replies to a call received in `handleCall` (or as a call request in a process function). */
  reply(from: From, value: unknown): void
  /** Ends this actor now with `reason`. Does not return. */
  exit(reason: unknown): never
  /** Sends an exit signal to another actor, as Erlang's `exit(Pid, Reason)`. */
  exitOther(pid: Pid, reason: unknown): void
}
