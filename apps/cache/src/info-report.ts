/**
 * The text of INFO: Redis's section layout (`# Server`, `field:value` lines, CRLF), with the fields clients and
 * tools read (ioredis waits for `loading:0`; monitoring reads `db0:keys=…`), and a replication section that lists
 * this node's peers with the replication deltas still waiting for each.
 */
import type { CommandSession } from './command-session.ts'

/** The section names INFO knows, in order. */
export const INFO_SECTIONS: readonly string[] = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'keyspace']

/** INFO's text for the requested sections (none, `all`, `everything` or `default`: every section). */
export function infoReport(s: CommandSession, requested: readonly string[]): string {
  const wanted = requested.length === 0 || requested.some((r) => r === 'all' || r === 'everything' || r === 'default')
    ? INFO_SECTIONS
    : INFO_SECTIONS.filter((name) => requested.includes(name))
  const facts = s.facts
  const now = s.now()
  const parts: string[] = []
  for (const section of wanted) {
    const lines: string[] = []
    switch (section) {
      case 'server':
        lines.push(
          `redis_version:7.0.0`,
          `cohort_cache_version:${facts.version}`,
          `redis_mode:standalone`,
          `cohort_node:${facts.nodeName}`,
          `tcp_port:${facts.port}`,
          `uptime_in_seconds:${Math.floor((now - facts.startedAt) / 1000)}`,
        )
        break
      case 'clients':
        lines.push(`connected_clients:${facts.connectedClients()}`)
        break
      case 'memory': {
        const memory = facts.memory()
        // used_memory_dataset is what maxmemory bounds here (Redis compares its allocator's used_memory).
        lines.push(
          `used_memory:${memory.heapUsed}`,
          `used_memory_rss:${memory.rss}`,
          `used_memory_dataset:${s.map.bytes}`,
          `maxmemory:${facts.memoryLimit?.maxBytes ?? 0}`,
          'maxmemory_policy:noeviction',
        )
        break
      }
      case 'persistence':
        // loading:1 until the node holds its peers' data, as Redis while it reads its data set; ioredis's ready check
        // asks again after loading_eta_seconds (the cache cannot estimate it: one second, ioredis's own default).
        lines.push(...(s.loading() ? ['loading:1', 'loading_eta_seconds:1'] : ['loading:0']), 'rdb_changes_since_last_save:0', 'aof_enabled:0')
        break
      case 'stats':
        lines.push(`total_commands_processed:${facts.totalCommands()}`)
        break
      case 'replication': {
        const stats = s.map.stats()
        const peers = s.map.peers()
        // Every node takes writes (multi-primary); `connected_slaves:0` keeps Redis tools from dialling our peers.
        lines.push('role:master', 'connected_slaves:0', 'cohort_replication:multi-primary last-writer-wins', `cohort_peers:${peers.length}`)
        // caught_up: a catch-up with that peer has ended since it joined (`ReplicatedMap.caughtUp`), as a Redis
        // replica's master_sync_in_progress says whether its first sync is done.
        const caughtUp = new Set(s.map.caughtUp())
        peers.forEach((peer, i) => lines.push(`cohort_peer${i}:node=${peer},pending=${stats.pendingByPeer[peer] ?? 0},caught_up=${caughtUp.has(peer) ? 1 : 0}`))
        break
      }
      case 'keyspace': {
        const size = s.map.size
        // Counting keys with a TTL would walk every key on each INFO (ioredis sends one per connect): not counted.
        if (size > 0) lines.push(`db0:keys=${size},expires=0,avg_ttl=0,tombstones=${s.map.stats().tombstones}`)
        break
      }
    }
    parts.push(`# ${section[0]!.toUpperCase()}${section.slice(1)}\r\n${lines.map((l) => `${l}\r\n`).join('')}`)
  }
  return parts.join('\r\n')
}
