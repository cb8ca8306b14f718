/**
 * A bounded wait on state that another process holds and announces no change of (an HTTP route of a node): it is read
 * again until `done` accepts it, and after `timeoutMs` the wait fails naming what it waited for and the last value
 * read, so a test never hangs until vitest's timeout with nothing to say. Where the state has a signal (a WebSocket
 * frame, an IPC event, a log line) a test waits on that instead; this is for what has none.
 */
import { setTimeout as pause } from 'node:timers/promises'

export interface WaitUntilOptions {
  /** How long the state may take to arrive. Default 30 s: generous, as these run on loaded CI machines. */
  timeoutMs?: number
  /** The pace of re-reads, so a wait does not flood the node it reads from. Default 50 ms. */
  intervalMs?: number
}

/** Reads `read()` until `done` accepts its value and returns that value; a read that throws counts as not done. */
export async function waitUntil<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options: WaitUntilOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options
  const deadline = Date.now() + timeoutMs
  let last: unknown = 'nothing read yet'
  for (;;) {
    try {
      const value = await read()
      if (done(value)) return value
      last = value
    } catch (error) {
      last = `read failed: ${String(error)}`
    }
    if (Date.now() >= deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last read: ${JSON.stringify(last)}`)
    // The pace of re-reads of a state with no change signal, not a wait for it to settle: the condition decides.
    await pause(intervalMs)
  }
}
