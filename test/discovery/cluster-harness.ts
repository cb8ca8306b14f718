/**
 * Helpers for the discovery e2e suites: a ClusterNode that accepts every dial (the transport is not under test here)
 * and a wait on a Cluster event with a deadline, so tests wait on signals, never on sleeps.
 */
import { EventEmitter } from 'node:events'
import type { Cluster, ClusterEvents, ClusterNode } from '@cohort/discovery'

export class AcceptingNode implements ClusterNode {
  readonly name: string
  readonly dialled: string[] = []
  #events = new EventEmitter()
  #connected = new Set<string>()

  constructor(name: string) {
    this.name = name
  }

  async connect(peer: { name: string; url: string }): Promise<void> {
    this.dialled.push(peer.url)
    this.#connected.add(peer.name)
    this.#events.emit('nodeup', peer.name)
  }

  disconnect(name: string): void {
    if (this.#connected.delete(name)) this.#events.emit('nodedown', name, 'disconnect')
  }

  nodes(): string[] {
    return [...this.#connected]
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ClusterNode signature
  on(event: 'nodeup' | 'nodedown', listener: (...args: any[]) => void): this {
    this.#events.on(event, listener)
    return this
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the ClusterNode signature
  off(event: 'nodeup' | 'nodedown', listener: (...args: any[]) => void): this {
    this.#events.off(event, listener)
    return this
  }
}

/** Resolves with the first `event` whose arguments satisfy `accept`; rejects after `timeoutMs` saying what was awaited. */
export function nextEvent<K extends keyof ClusterEvents>(
  cluster: Cluster,
  event: K,
  accept: (...args: ClusterEvents[K]) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<ClusterEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: ClusterEvents[K]): void => {
      if (!accept(...args)) return
      clearTimeout(timer)
      cluster.off(event, listener)
      resolve(args)
    }
    const timer = setTimeout(() => {
      cluster.off(event, listener)
      reject(new Error(`no matching "${String(event)}" event within ${timeoutMs} ms; members: ${JSON.stringify(cluster.members())}`))
    }, timeoutMs)
    cluster.on(event, listener)
  })
}

export const names = (cluster: Cluster): string[] => cluster.members().map((m) => m.name).sort()
