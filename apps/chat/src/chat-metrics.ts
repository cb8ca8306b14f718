/**
 * The chat's figures on /metrics, added to the node's registry (which @cohort/discovery's createMetricsRegistry fills
 * with the transport's, the actors' and discovery's): connected sockets, rooms, messages in and out, frames dropped
 * by the rate limit and connections closed for flooding, connections refused at the cap, and requests refused for
 * want of a valid access token. Read from the node's
 * counters when scraped, so counting costs one increment.
 */
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { ConnectionLimit } from '@cohort/discovery'
import type { ChatServices } from './chat-services.ts'

/** Registers the chat metrics on `registry`. */
export function registerChatMetrics(registry: Registry, services: ChatServices, connections: () => ConnectionLimit | undefined): void {
  const { counters } = services
  new Gauge({
    name: 'chat_connected_sockets',
    help: 'WebSockets connected to this node with a running session',
    registers: [registry],
    collect() {
      this.set(counters.sockets)
    },
  })
  new Gauge({
    name: 'chat_rooms',
    help: 'Rooms whose history this node holds',
    registers: [registry],
    collect() {
      this.set(services.histories.size)
    },
  })
  new Counter({
    name: 'chat_messages_in_total',
    help: 'Messages said by clients connected to this node',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.messagesIn)
    },
  })
  new Counter({
    name: 'chat_messages_out_total',
    help: 'Messages written to the sockets of this node (one per receiving client)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.messagesOut)
    },
  })
  new Counter({
    name: 'chat_frames_rate_limited_total',
    help: 'Frames from clients of this node dropped for going over CHAT_MAX_MESSAGES_PER_SECOND',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.framesRateLimited)
    },
  })
  new Counter({
    name: 'chat_flooding_connections_closed_total',
    help: 'WebSockets of this node closed (1008) for sending far over CHAT_MAX_MESSAGES_PER_SECOND',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.floodsCutOff)
    },
  })
  new Counter({
    name: 'chat_auth_refused_total',
    help: 'WebSocket upgrades and room reads refused for a missing or invalid access token (401) or a room the user may not enter (403)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.authRefused)
    },
  })
  new Counter({
    name: 'chat_access_expired_total',
    help: "WebSockets closed (4401) when their user's access ended: the access token's exp, plus the clock skew allowed",
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.accessExpired)
    },
  })
  new Counter({
    name: 'chat_access_revoked_total',
    help: 'WebSockets closed (4403) because their user was signed out from server code (disconnectUser)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.accessRevoked)
    },
  })
  new Counter({
    name: 'chat_signals_in_total',
    help: "Signals (typing indicators and the like) sent by this node's clients to their rooms; kept nowhere",
    registers: [registry],
    collect() {
      this.reset()
      this.inc(counters.signalsIn)
    },
  })
  new Counter({
    name: 'chat_http_connections_refused_total',
    help: 'Connections to the HTTP port closed on arrival because CHAT_MAX_CONNECTIONS were open',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(connections()?.refused ?? 0)
    },
  })
}
