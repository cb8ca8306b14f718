/**
 * Starts reliability-node.mjs processes, on loopback or inside a Fabric namespace, through the shared spawn-node.ts
 * (readiness is the child's `ready` message; every child is killed after each test).
 */
import { fileURLToPath } from 'node:url'
import { spawnNodeScript } from '../../support/spawn-node.ts'
import type { NodeProcess } from '../../support/spawn-node.ts'

const SCRIPT = fileURLToPath(new URL('./reliability-node.mjs', import.meta.url))

export interface ReliabilityNodeOptions {
  name: string
  host?: string
  port?: number
  url?: string
  tickMs?: number
  logLevel?: string
  /** Further startNode options (numbers and booleans only: they travel as JSON). */
  node?: Record<string, number | boolean>
}

/** What `report` returns. */
export interface NodeReport {
  sink: { received: number; gaps: number; lateStarts: number; epochs: number; lastSeq: Record<string, number> }
  sent: number
  /** Sender loops paused by backpressure when the report was made. */
  heldBack: number
  targets: Record<string, { seq: number; epoch: number }>
  memory: NodeJS.MemoryUsage
  fds: number
  stats: { peers: Array<{ node: string; queuedBytes: number; readPaused: boolean }>; pendingHandshakes: number; connectionsOversized: number; connectionsEvicted: number; connectionsRefused: number }
}

/** Starts a node process (in namespace `ns` when given) and resolves once it reports ready. */
export function startReliabilityNode(options: ReliabilityNodeOptions, ns?: string): Promise<NodeProcess> {
  return spawnNodeScript(SCRIPT, options, ns)
}
