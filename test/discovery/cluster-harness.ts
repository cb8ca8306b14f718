/**
 * Helpers for the discovery e2e suites: a ClusterNode that accepts every dial (the transport is not under test here)
 * and a wait on a Cluster event with a deadline, so tests wait on signals, never on sleeps.
 */
import type { Cluster, ClusterEvents } from '@cohort/discovery'
import { FakeNode } from '../../packages/discovery/test-support/fake-node.ts'

/** A node that accepts every dial at once: discovery's fake node, as the transport is not under test here. */
export function acceptingNode(name: string): FakeNode {
  return new FakeNode(name, { acceptAll: true })
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
