/**
 * Prometheus metrics for /metrics, on a registry of our own (never prom-client's global one, so several nodes in one
 * process or a host app's own metrics do not collide). Values are pulled from injected sources at scrape time, so the
 * transport node, the actor system and the joined cluster plug in without this package importing them.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { Logger } from 'pino'

/** Traffic with one peer, as the transport counts it. */
export interface PeerTraffic {
  node: string
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
}

/** The transport node: connections and per-peer traffic. */
export interface TransportStatsSource {
  /** `handshakeFailures`: connections that failed before they were up, by reason (the transport's stats). */
  stats(): { peers: PeerTraffic[]; handshakeFailures?: Readonly<Record<string, number>> }
}

/** The actor system: every process with its mailbox depth (`ActorSystem.processes()` fits). */
export interface ProcessSource {
  processes(): Array<{ pid: string | { toString(): string }; mailboxDepth: number }>
}

/** Supervisor restarts since start. */
export interface RestartSource {
  restarts(): number
}

/** Discovery counters (the handle joinCluster returns fits). */
export interface DiscoveryStatsSource {
  stats(): { lookupFailures: number; members: number; connected: number }
}

/** Where the metrics come from; each is optional. */
export interface MetricsSources {
  transport?: TransportStatsSource
  processes?: ProcessSource
  restarts?: RestartSource
  discovery?: DiscoveryStatsSource
  /** How many of the largest mailboxes get a series. @default 10 — bounded label cardinality */
  topMailboxes?: number
  /** Also export prom-client's process metrics (CPU, memory, event-loop lag, GC). @default true */
  defaultMetrics?: boolean
}

/** The defaults of MetricsSources. */
export const DEFAULT_METRICS_OPTIONS: Readonly<{ topMailboxes: number; defaultMetrics: boolean }> = Object.freeze({
  topMailboxes: 10,
  defaultMetrics: true,
})

/** Builds the registry; every collector reads its source when scraped, and a throwing source only empties its metric. */
export function createMetricsRegistry(sources: MetricsSources, logger: Logger): Registry {
  const registry = new Registry()
  const topMailboxes = sources.topMailboxes ?? DEFAULT_METRICS_OPTIONS.topMailboxes
  const guard = (metric: string, fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      logger.warn({ err, metric }, 'metrics source threw; metric left empty')
    }
  }
  const { transport, processes, restarts, discovery } = sources
  if (transport !== undefined) {
    new Gauge({
      name: 'cohort_connected_peers',
      help: 'Peers this node has a connection to',
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_connected_peers', () => this.set(transport.stats().peers.length))
      },
    })
    const traffic = (name: string, help: string, pick: (p: PeerTraffic) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['peer'],
        registers: [registry],
        collect() {
          this.reset()
          guard(name, () => {
            for (const p of transport.stats().peers) this.inc({ peer: p.node }, Math.max(0, pick(p)))
          })
        },
      })
    }
    traffic('cohort_peer_messages_in_total', 'Messages received from each peer', (p) => p.messagesIn)
    traffic('cohort_peer_messages_out_total', 'Messages sent to each peer', (p) => p.messagesOut)
    traffic('cohort_peer_bytes_in_total', 'Bytes received from each peer', (p) => p.bytesIn)
    traffic('cohort_peer_bytes_out_total', 'Bytes sent to each peer', (p) => p.bytesOut)
    new Counter({
      name: 'cohort_handshake_failures_total',
      help: 'Connections that failed before they were up, by reason (cookie, timeout, version, invalid, busy, unreachable)',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_handshake_failures_total', () => {
          const failures = transport.stats().handshakeFailures ?? {}
          for (const [reason, count] of Object.entries(failures)) this.inc({ reason }, Math.max(0, count))
        })
      },
    })
  }
  if (processes !== undefined) {
    new Gauge({
      name: 'cohort_mailbox_depth',
      help: `Mailbox depth of the ${topMailboxes} processes with the largest mailboxes`,
      labelNames: ['pid'],
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_mailbox_depth', () => {
          const largest = processes
            .processes()
            .filter((p) => p.mailboxDepth > 0)
            .sort((a, b) => b.mailboxDepth - a.mailboxDepth)
            .slice(0, topMailboxes)
          for (const p of largest) this.set({ pid: String(p.pid) }, p.mailboxDepth)
        })
      },
    })
    new Gauge({
      name: 'cohort_processes',
      help: 'Processes (actors) alive on this node',
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_processes', () => this.set(processes.processes().length))
      },
    })
  }
  if (restarts !== undefined) {
    new Counter({
      name: 'cohort_restarts_total',
      help: 'Children restarted by supervisors',
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_restarts_total', () => this.inc(Math.max(0, restarts.restarts())))
      },
    })
  }
  if (discovery !== undefined) {
    new Counter({
      name: 'cohort_discovery_errors_total',
      help: 'Failed discovery lookups (DNS errors, API errors, timeouts)',
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_discovery_errors_total', () => this.inc(discovery.stats().lookupFailures))
      },
    })
    new Gauge({
      name: 'cohort_discovery_members',
      help: 'Peers discovery reports, and how many of them are connected',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        this.reset()
        guard('cohort_discovery_members', () => {
          const s = discovery.stats()
          this.set({ state: 'discovered' }, s.members)
          this.set({ state: 'connected' }, s.connected)
        })
      },
    })
  }
  if (sources.defaultMetrics ?? DEFAULT_METRICS_OPTIONS.defaultMetrics) collectDefaultMetrics({ register: registry })
  return registry
}
