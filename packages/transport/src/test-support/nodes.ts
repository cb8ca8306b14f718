/**
 * Helpers for this package's unit tests: start nodes on loopback with port 0, wait for events (never for time),
 * and close everything after each test. Not part of the build (excluded in tsconfig.json).
 */
import { createLogSink } from '@cohort/core/testing'
import type { LogSink } from '@cohort/core/testing'
import { afterEach } from 'vitest'
import { startNode } from '../start-node.ts'
import type { CohortNode } from '../start-node.ts'
import type { NodeOptions } from '../node/node-options.ts'

const open: Array<{ close(): Promise<void> }> = []

afterEach(async () => {
  const all = open.splice(0)
  await Promise.all(all.map((n) => n.close().catch(() => undefined)))
})

/** Registers anything closable for closing after the test. */
export function track<T extends { close(): Promise<void> }>(value: T): T {
  open.push(value)
  return value
}

export interface TestNode {
  node: CohortNode
  log: LogSink
}

/** Starts a node named `<app>@127.0.0.1` on a free port, with a recording logger. */
export async function testNode(app: string, options: Partial<NodeOptions> = {}): Promise<TestNode> {
  const log = createLogSink('debug')
  const node = await startNode({ name: `${app}@127.0.0.1`, cookie: 'test-cookie', host: '127.0.0.1', port: 0, logger: log.logger, ...options })
  track(node)
  return { node, log }
}

/** Resolves with the arguments of the next `event` of `node` matching `filter`. */
export function nextEvent(node: CohortNode, event: 'nodeup', filter?: (name: string) => boolean): Promise<[string]>
export function nextEvent(node: CohortNode, event: 'nodedown', filter?: (name: string) => boolean): Promise<[string, string]>
export function nextEvent(node: CohortNode, event: 'nodeup' | 'nodedown', filter: (name: string) => boolean = () => true): Promise<unknown[]> {
  return new Promise((resolve) => {
    const listener = (...args: unknown[]): void => {
      if (!filter(args[0] as string)) return
      node.off(event, listener as never)
      resolve(args)
    }
    node.on(event, listener as never)
  })
}

/** Resolves once `predicate` holds, re-checking on every event of `node` and after each macrotask turn. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setImmediate(r))
  }
}

/** A server behaviour that replies to every call with the request and forwards every info message to `to`. */
export const echo = {
  init: () => null,
  handleCall: (req: unknown, _from: unknown, state: null) => ({ reply: req, state }),
}

/** Address of `<app>@127.0.0.1`. */
export function nameOf(app: string): string {
  return `${app}@127.0.0.1`
}

/** The records of `log` whose msg equals `msg`. */
export function logged(log: LogSink, msg: string): Record<string, unknown>[] {
  return log.records.filter((r) => r['msg'] === msg)
}
