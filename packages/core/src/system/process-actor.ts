/**
 * ProcessActor: the runner of a process function (actor/process-function.ts has the contract). The function starts
 * on the scheduler, not on the spawner's stack; `receive` scans the mailbox for the first message its predicate
 * accepts (Erlang's selective receive) and waits if there is none.
 *
 * Hot path: `receive` and `deliver` for every message to a process function.
 */
import type { ProcessFunction, ProcessCtx } from '../actor/process-function.ts'
import { RECEIVE_TIMEOUT } from '../actor/process-function.ts'
import type { TimerHandle } from '../clock.ts'
import { InvalidOptionError } from '../errors.ts'
import { isExpectedExit } from '../exit-reason.ts'
import type { Pid } from '../pid.ts'
import { Actor, ActorStatus, ExitToken } from './actor.ts'
import type { ActorHost } from './actor.ts'
import { isDelayMs } from './timers.ts'

interface PendingReceive {
  match: ((msg: unknown) => boolean) | undefined
  resolve: (msg: unknown) => void
  timer: TimerHandle | undefined
}

/** The process's own flag, in the actor's bits (`styleFlags`): the function has not started yet. */
const START_DUE = 0b1

export class ProcessActor extends Actor implements ProcessCtx {
  readonly behaviourName: string
  readonly #fn: ProcessFunction
  #args: unknown
  #pending: PendingReceive | null = null

  constructor(host: ActorHost, pid: Pid, parent: Pid | undefined, fn: ProcessFunction, args: unknown, name: string) {
    super(host, pid, parent)
    this.behaviourName = name
    this.#fn = fn
    this.#args = args
    this.styleFlags = START_DUE
  }

  protected hasWork(): boolean {
    return (this.styleFlags & START_DUE) !== 0 || (this.#pending !== null && this.mailbox !== null && this.mailbox.length > 0)
  }

  start(): void {
    this.host.scheduler.enqueue(this)
  }

  runTurn(): boolean {
    if ((this.styleFlags & START_DUE) !== 0) {
      this.styleFlags &= ~START_DUE
      this.run()
      return false
    }
    const pending = this.#pending
    if (pending !== null && this.status !== ActorStatus.dead) {
      const index = this.find(pending.match)
      if (index >= 0) this.settle(pending, this.mailbox!.removeAt(index))
    }
    return false
  }

  private run(): void {
    this.status = ActorStatus.running
    const started = this.onStarted
    this.onStarted = undefined
    started?.(undefined)
    let result: unknown
    try {
      result = this.#fn(this, this.#args)
    } catch (error) {
      this.ended(error, true)
      return
    }
    this.#args = undefined
    Promise.resolve(result).then(
      () => this.ended('normal', false),
      (error: unknown) => this.ended(error, true),
    )
  }

  private ended(value: unknown, failed: boolean): void {
    if (this.status === ActorStatus.dead) return
    if (value instanceof ExitToken) return
    if (failed && !isExpectedExit(value) && this.host.logger.isLevelEnabled('error')) {
      this.host.logger.error({ pid: String(this.pid), behaviour: this.behaviourName, reason: String(value), err: value instanceof Error ? value : undefined }, 'actor crashed')
    }
    this.host.die(this, value)
  }

  stop(reason: unknown): void {
    this.host.die(this, reason)
  }

  private find(match: ((msg: unknown) => boolean) | undefined): number {
    const mailbox = this.mailbox
    if (mailbox === null || mailbox.length === 0) return -1
    if (match === undefined) return 0
    for (let i = 0; i < mailbox.length; i++) if (match(mailbox.at(i))) return i
    return -1
  }

  private settle(pending: PendingReceive, msg: unknown): void {
    this.#pending = null
    if (pending.timer !== undefined) this.host.clock.clearTimeout(pending.timer)
    if (this.host.tracer.tracing) this.host.tracer.emit({ type: 'receive', pid: this.pid, msg })
    pending.resolve(msg)
  }

  /** One at a time, as `deliver` settles a waiting receive on the message's arrival rather than a scheduler turn later. */
  override deliverMany(msgs: readonly unknown[], start: number, end: number): void {
    for (let i = start; i < end; i++) this.deliver(msgs[i])
  }

  override deliver(msg: unknown): boolean {
    if (!super.deliver(msg)) return false
    const pending = this.#pending
    // Only the new message can match: older ones were scanned when the receive began.
    if (pending !== null && (pending.match === undefined ? this.mailbox!.length === 1 : pending.match(msg))) {
      if (this.host.scheduler.hasTime()) {
        const index = pending.match === undefined ? 0 : this.mailbox!.length - 1
        this.settle(pending, this.mailbox!.removeAt(index))
      }
    }
    return true
  }

  receive<T = any>(match?: (msg: any) => boolean, timeoutMs?: number): Promise<T> {
    if (this.status === ActorStatus.dead) return new Promise<T>(() => {})
    if (this.#pending !== null) {
      return Promise.reject(new Error('receive called while another receive of the same actor is waiting'))
    }
    if (timeoutMs !== undefined && timeoutMs !== Infinity && !isDelayMs(timeoutMs)) {
      return Promise.reject(new InvalidOptionError('timeoutMs', timeoutMs, 'a number of milliseconds, 0 or more, or Infinity'))
    }
    const index = this.find(match)
    if (index >= 0 && this.host.scheduler.hasTime()) {
      const msg = this.mailbox!.removeAt(index)
      if (this.relief !== null) this.relieve()
      if (this.host.tracer.tracing) this.host.tracer.emit({ type: 'receive', pid: this.pid, msg })
      return Promise.resolve(msg as T)
    }
    return new Promise<T>((resolve) => {
      const pending: PendingReceive = { match, resolve: resolve as (msg: unknown) => void, timer: undefined }
      this.#pending = pending
      if (timeoutMs !== undefined && timeoutMs !== Infinity) {
        pending.timer = this.host.clock.setTimeout(() => {
          if (this.#pending === pending && this.status !== ActorStatus.dead) {
            this.#pending = null
            resolve(RECEIVE_TIMEOUT as T)
          }
        }, timeoutMs)
      }
      if (index >= 0) this.wake()
    })
  }

  override cleanup(): void {
    const pending = this.#pending
    this.#pending = null
    if (pending?.timer !== undefined) this.host.clock.clearTimeout(pending.timer)
  }
}
