/**
 * baseline.local.queue: the plain-JavaScript floor for local.send. A producer creates a message object per send and
 * pushes it into an array-backed mailbox (a moving head, compacted in bulk); a consumer drains the mailbox in a loop
 * through a handler that returns the next state. 10 ms slices, yielding to the event loop between them as the actor
 * scheduler does. No scheduler, no routing, no addresses: the floor under any actor runtime.
 */
import { nowMs, runScenario, sampleRates } from '../../child/harness.ts'
import type { ScenarioParams } from '../../child/protocol.ts'

const BATCH = 100
const SLICE_MS = 10

class Mailbox<T> {
  #items: (T | undefined)[] = []
  #head = 0
  get length(): number {
    return this.#items.length - this.#head
  }
  push(item: T): void {
    this.#items.push(item)
  }
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head++] = undefined
    if (this.#head === this.#items.length) {
      this.#items.length = 0
      this.#head = 0
    }
    return item
  }
}

runScenario(async (params: ScenarioParams) => {
  let received = 0
  let running = true
  let seq = 0
  const mailbox = new Mailbox<{ seq: number }>()
  const receiver = {
    state: null as unknown,
    handle: (_msg: { seq: number }, state: unknown): unknown => {
      received++
      return state
    },
  }
  const slice = (): void => {
    const end = nowMs() + SLICE_MS
    while (running && nowMs() < end) {
      for (let n = 0; n < 100; n++) {
        for (let i = 0; i < BATCH; i++) mailbox.push({ seq: seq++ })
        let msg: { seq: number } | undefined
        while ((msg = mailbox.shift()) !== undefined) receiver.state = receiver.handle(msg, receiver.state)
      }
    }
    if (running) setImmediate(slice)
  }
  setImmediate(slice)
  const { rates } = await sampleRates(params, () => ({ count: received, atMs: nowMs() }))
  running = false
  return [{ name: 'baseline.local.queue', values: rates }]
})
