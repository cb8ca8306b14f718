/**
 * runNode: the composition root of a Cohort node process — configuration → logger → node → supervision tree →
 * cluster → probes → graceful shutdown, in that order. `cohort start` calls it; it receives everything it needs from
 * the process (env, signals, exit, output) so that only main.ts touches `process`.
 */
import { supervisor } from '@cohort/core'
import type { ChildSpec, Pid } from '@cohort/core'
import { installGracefulShutdown, joinCluster, loadConfig, logDestination, nodeOptionsFromConfig, observerChild, startProbeServer, strategyFromConfig } from '@cohort/discovery'
import type { Cluster, CohortConfig, ProbeServer } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { chatter, greeter } from './demo-services.ts'
import type { DemoEvent } from './demo-services.ts'

/** What a node process receives from its host process. */
export interface NodeProcess {
  env: Readonly<Record<string, string | undefined>>
  /** Where SIGTERM/SIGINT come from (`process`). */
  signals: { on(signal: string, listener: (signal: string) => void): unknown; off(signal: string, listener: (signal: string) => void): unknown }
  exit(code: number): void
  /** Writes one line of output (`ready`, demo events) as JSON. */
  writeEvent(event: Record<string, unknown>): void
  /** Log destination; pino writes JSON lines to it. @default stderr */
  logDestination?: pino.DestinationStream
}

/** A running node with everything around it. */
export interface RunningNode {
  config: CohortConfig
  node: CohortNode
  root: Pid
  cluster: Cluster
  probes: ProbeServer
  logger: Logger
}

/** Options of runNode that do not come from the environment. */
export interface RunNodeOptions {
  /** Also run the demo's greeter and chatter. @default false */
  demo?: boolean
  /** How often the demo's chatter greets the other nodes. @default 1000 */
  demoIntervalMs?: number
}

export async function runNode(proc: NodeProcess, options: RunNodeOptions = {}): Promise<RunningNode> {
  const config = await loadConfig({ env: proc.env })
  const logger = pino(
    { name: 'cohort', level: config.logLevel, redact: ['cookie', '*.cookie'] },
    proc.logDestination ?? logDestination(),
  )
  const node = await startNode({ ...nodeOptionsFromConfig(config), logger })
  const system = node.system
  const emit = (event: DemoEvent | Record<string, unknown>): void => proc.writeEvent({ node: node.name, ...event })
  system.monitorNodes((event) => emit(event))
  // Restarts through monitorRestarts, not the trace hook: one trace observer would make every message build a record.
  system.monitorRestarts((e) => emit({ type: 'restart', child: e.child, reason: String(e.reason) }))
  const children: ChildSpec[] = [observerChild(system, { traffic: node })]
  if (options.demo === true) {
    children.push({ id: 'greeter', start: greeter(node.name), name: 'greeter' })
    children.push({ id: 'chatter', start: chatter(system, emit, options.demoIntervalMs ?? 1000) })
  }
  const root = await system.start(supervisor({ name: 'root', strategy: 'oneForOne', children }))
  // Probes listen before the node joins: a probe port in use stops the node before it has told anyone it joined.
  let cluster: Cluster | undefined
  let probes: ProbeServer
  try {
    probes = await startProbeServer({
      host: config.probes.host,
      port: config.probes.port,
      isAlive: () => system.isAlive(root),
      isListening: () => true,
      cluster: {
        get ready() {
          return cluster?.ready === true
        },
        get notReadyReason() {
          return cluster?.notReadyReason ?? 'not joined: discovery has not started yet'
        },
      },
      metrics: {
        transport: node,
        processes: system,
        restarts: { restarts: () => system.stats().restarts },
        discovery: { stats: () => cluster?.stats() ?? { lookupFailures: 0, members: 0, connected: 0 } },
      },
      observer: { system },
      logger,
    })
  } catch (error) {
    await node.close()
    throw error
  }
  // The environment reaches the strategy too: kubernetes() finds the API server through KUBERNETES_SERVICE_HOST/PORT.
  cluster = joinCluster(node, strategyFromConfig(config.discovery, { env: proc.env }), { logger })
  installGracefulShutdown({
    signals: proc.signals,
    drainDelayMs: config.shutdown.drainDelayMs,
    gracePeriodMs: config.shutdown.gracePeriodMs,
    setNotReady: () => probes.setNotReady(),
    leave: async () => {
      await cluster?.stop()
      await node.leave()
    },
    stopTree: async () => {
      await system.shutdown()
      await probes.close()
    },
    exit: proc.exit,
    logger,
  })
  emit({ type: 'ready', url: node.url, probes: probes.url, creation: system.creation })
  return { config, node, root, cluster, probes, logger }
}
