/**
 * Deadlines: pending calls by deadline, without a timer each. Calls with the same timeout expire in the order they
 * started, so each timeout has one list, in deadline order, and one timer, armed for its head; a call that settles
 * unlinks itself in O(1). The links are fields of the entry, so adding one allocates nothing. A Node timer per call
 * (a Timeout object and its async resource) was a tenth of what a remote call allocated, and with 100 calls in flight
 * the timer lists churned as much as the calls.
 *
 * Calls without a timeout (Infinity) are kept in a list of their own with no timer, so `list` returns every entry.
 */
import type { Clock, TimerHandle } from '../clock.ts'

/** An entry: a pending call. The fields belong to Deadlines. */
export abstract class Expiring {
  deadline = 0
  prevExpiring: Expiring | undefined = undefined
  nextExpiring: Expiring | undefined = undefined
  expiryList: ExpiryList | undefined = undefined
  /** Its deadline passed; it has already left its list. */
  abstract expire(): void
}

class ExpiryList {
  head: Expiring | undefined = undefined
  tail: Expiring | undefined = undefined
  timer: TimerHandle | undefined = undefined
  readonly timeoutMs: number

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs
  }
}

export class Deadlines {
  readonly #clock: Clock
  readonly #lists = new Map<number, ExpiryList>()

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Adds `entry`, due `timeoutMs` from now (never, for Infinity). */
  add(entry: Expiring, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs)
    if (list === undefined) {
      list = new ExpiryList(timeoutMs)
      this.#lists.set(timeoutMs, list)
    }
    // The turn's time, as Node's own timers take it: a call started late in a long turn may expire early by as much.
    entry.deadline = (this.#clock.turnNow !== undefined ? this.#clock.turnNow() : this.#clock.now()) + timeoutMs
    entry.expiryList = list
    entry.prevExpiring = list.tail
    entry.nextExpiring = undefined
    if (list.tail === undefined) list.head = entry
    else list.tail.nextExpiring = entry
    list.tail = entry
    if (list.timer === undefined && timeoutMs !== Infinity) this.#arm(list, timeoutMs)
  }

  /** Removes `entry` (nothing if it is in no list). */
  remove(entry: Expiring): void {
    const list = entry.expiryList
    if (list === undefined) return
    const { prevExpiring: prev, nextExpiring: next } = entry
    if (prev === undefined) list.head = next
    else prev.nextExpiring = next
    if (next === undefined) list.tail = prev
    else next.prevExpiring = prev
    entry.prevExpiring = entry.nextExpiring = entry.expiryList = undefined
    if (list.head === undefined) {
      // An empty list keeps no timer, and is dropped: a timeout used once does not stay.
      if (list.timer !== undefined) this.#clock.clearTimeout(list.timer)
      list.timer = undefined
      this.#lists.delete(list.timeoutMs)
    }
  }

  /** Every entry, in no particular order across timeouts: a copy, safe to use while entries leave. */
  list(): Expiring[] {
    const out: Expiring[] = []
    for (const list of this.#lists.values()) {
      for (let e = list.head; e !== undefined; e = e.nextExpiring) out.push(e)
    }
    return out
  }

  #arm(list: ExpiryList, ms: number): void {
    list.timer = this.#clock.setTimeout(() => this.#expire(list), ms)
  }

  #expire(list: ExpiryList): void {
    list.timer = undefined
    const now = this.#clock.now()
    let head = list.head
    while (head !== undefined && head.deadline <= now) {
      this.remove(head)
      head.expire()
      head = list.head
    }
    // The timer may fire a little before the head's deadline by this clock: wait again for the rest.
    if (head !== undefined && list.timer === undefined) this.#arm(list, Math.max(1, head.deadline - now))
  }
}
