/**
 * Scheduler: one run queue per system. An actor with work sits in it once; each turn it handles up to
 * `messagesPerTurn` messages, and after `timeSliceMs` the scheduler yields to the event loop so sockets and timers
 * are never starved. The only place in the packages that decides when to yield.
 *
 * Hot path: every message handled goes through `#run`.
 * Gotchas: while the slice is young, a wake-up runs in a microtask (fast ping-pong between actors); once the slice
 * is spent, it runs after I/O (`clock.setImmediate`). Synchronous handlers get no promise and no timer per message.
 */
import type { Clock } from '../clock.ts'
import { ChunkedQueue } from '../internal/chunked-queue.ts'

/** What the scheduler runs: an actor's turn. */
export interface Runnable {
  /** True while the actor sits in the run queue. */
  queued: boolean
  /** Handles up to `budget` messages; returns true if it has more work now. */
  runTurn(budget: number): boolean
  /** Set while a connection waits for this actor's mailbox to shrink (mailbox-pressure.ts). */
  relief: unknown
  /** Ends that wait once the mailbox is small enough. */
  relieve(): void
}

/** Actor turns after which a slice ends even if the clock says there is time left. */
const MAX_TURNS_PER_SLICE = 10_000

/** The run queue of one system. */
export class Scheduler {
  readonly #queue = new ChunkedQueue<Runnable>()
  readonly #clock: Clock
  readonly #budget: number
  readonly #sliceMs: number
  #scheduled = false
  #sliceStart = Number.NEGATIVE_INFINITY
  #turnsInSlice = 0
  #idleWaiters: (() => void)[] = []
  /**
   * Work done in the current turn: one per message handled and one per message sent (Erlang's reductions), so an
   * actor that sends a hundred messages per message it handles does not get a hundred times the CPU of its receiver.
   * One counter for the system, not one per actor: one turn runs at a time, and a field would be 8 bytes of every
   * actor. A send made outside any turn (an async handler's continuation) is counted and forgotten: each turn starts
   * from zero.
   */
  reductions = 0

  constructor(clock: Clock, messagesPerTurn: number, timeSliceMs: number) {
    this.#clock = clock
    this.#budget = messagesPerTurn
    this.#sliceMs = timeSliceMs
  }

  get length(): number {
    return this.#queue.length
  }

  /** Puts `actor` in the run queue unless it is already there. */
  enqueue(actor: Runnable): void {
    if (actor.queued) return
    actor.queued = true
    this.#queue.push(actor)
    if (!this.#scheduled) this.#schedule()
  }

  /** True while the current slice still has time: callers may continue work synchronously. */
  hasTime(): boolean {
    // The turn cap also ends slices under a frozen test clock, where time alone never would.
    return this.#turnsInSlice < MAX_TURNS_PER_SLICE && this.#clock.now() - this.#sliceStart < this.#sliceMs
  }

  isIdle(): boolean {
    return this.#queue.length === 0 && !this.#scheduled
  }

  /** Resolves once the run queue is empty. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  #schedule(): void {
    this.#scheduled = true
    if (this.hasTime()) queueMicrotask(this.#runInSlice)
    else this.#clock.setImmediate(this.#runNewSlice)
  }

  readonly #runNewSlice = (): void => {
    this.#sliceStart = this.#clock.now()
    this.#turnsInSlice = 0
    this.#run()
  }

  readonly #runInSlice = (): void => {
    this.#run()
  }

  #run(): void {
    const queue = this.#queue
    const budget = this.#budget
    let actor: Runnable | undefined
    while ((actor = queue.shift()) !== undefined) {
      actor.queued = false
      this.#turnsInSlice++
      const more = actor.runTurn(budget)
      if (actor.relief !== null) actor.relieve()
      if (more && !actor.queued) {
        actor.queued = true
        queue.push(actor)
      }
      if (!this.hasTime()) break
    }
    this.#scheduled = false
    if (queue.length > 0) {
      this.#scheduled = true
      this.#clock.setImmediate(this.#runNewSlice)
    } else if (this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = []
      for (const w of waiters) w()
    }
  }
}
