/**
 * runChatNode: the composition root of a chat node — configuration → logger → node → the chat (startChat: services
 * and supervision tree) → cluster → HTTP (page, WebSocket, probes, metrics) → graceful shutdown, in that order. It
 * receives what it needs from the process (env, signals, exit, an event writer), so only main.ts touches `process`.
 */
import type { Pid } from '@cohort/core'
import { installGracefulShutdown, joinCluster, logDestination, nodeOptionsFromConfig, observerChild, probeRequestHandler, strategyFromConfig } from '@cohort/discovery'
import type { Cluster, GracefulShutdown, SignalSource } from '@cohort/discovery'
import { startNode } from '@cohort/transport'
import type { CohortNode } from '@cohort/transport'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { tokenAuthenticator } from './authenticate.ts'
import type { ChatAuthenticator } from './authenticate.ts'
import { loadChatConfig } from './chat-config.ts'
import type { ChatConfig } from './chat-config.ts'
import { registerChatMetrics } from './chat-metrics.ts'
import { CHAT_NAMES } from './chat-services.ts'
import type { ChatServices } from './chat-services.ts'
import { startChatHttpServer } from './http-server.ts'
import type { ChatHttpServer } from './http-server.ts'
import { SocketEndpoint } from './socket-endpoint.ts'
import { startChat } from './start-chat.ts'
import { postMessage } from './say-message.ts'
import { disconnectUser } from './disconnect-user.ts'
import type { DisconnectUserOptions } from './disconnect-user.ts'
import type { PostedMessage } from './say-message.ts'
import type { ChatMessage } from './chat-protocol.ts'

/** What a chat node receives from its host process. */
export interface ChatProcess {
  env: Readonly<Record<string, string | undefined>>
  /** Where SIGTERM and SIGINT come from (`process`). */
  signals: SignalSource
  exit(code: number): void
  /** Writes one event (`ready`, `nodeup`, `nodedown`, `restart`, `leaving`) as a JSON line. */
  writeEvent(event: Record<string, unknown>): void
  /** Where pino writes its JSON lines. @default stderr */
  logDestination?: pino.DestinationStream
  /**
   * Decides who each WebSocket's user is (and who may read a room's history and presence), in place of
   * CHAT_AUTH_SECRET's access tokens. @default access tokens when CHAT_AUTH_SECRET is set, else the URL's `user`
   */
  authenticate?: ChatAuthenticator
}

/** A running chat node. */
export interface RunningChatNode {
  config: ChatConfig
  node: CohortNode
  root: Pid
  cluster: Cluster
  http: ChatHttpServer
  services: ChatServices
  shutdown: GracefulShutdown
  logger: Logger
  /** The URL of the page, e.g. `http://127.0.0.1:8080`. */
  url: string
  /**
   * Says a message in `room` from server code, as a client's `say` would be said (say-message.ts): resolves it as
   * said; rejects with a ChatPostError naming what was wrong.
   */
  say(room: string, post: PostedMessage): Promise<ChatMessage>
  /** Closes every WebSocket of `user` on every node of the cluster (disconnect-user.ts); resolves how many. */
  disconnect(user: string, options?: DisconnectUserOptions): Promise<number>
}

/** Starts a chat node. @throws InvalidConfigError (COHORT_ERR_INVALID_CONFIG) for a bad variable */
export async function runChatNode(proc: ChatProcess): Promise<RunningChatNode> {
  const config = await loadChatConfig({ env: proc.env })
  const logger = pino({ name: 'chat', level: config.cohort.logLevel, redact: ['cookie', '*.cookie'] }, proc.logDestination ?? logDestination())
  const { node: nodeConfig } = config.cohort
  const node = await startNode({ ...nodeOptionsFromConfig(config.cohort), logger })
  const system = node.system
  const emit = (event: Record<string, unknown>): void => proc.writeEvent({ node: node.name, ...event })
  system.monitorNodes((event) => emit(event))
  // Restarts through monitorRestarts, not the trace hook: one trace observer makes every message build a record.
  system.monitorRestarts((e) => emit({ type: 'restart', child: e.child, reason: String(e.reason) }))

  const { services, root } = await startChat(system, {
    historySyncMs: config.chat.historySyncMs,
    maxBufferedBytes: config.chat.maxBufferedBytes,
    maxRooms: config.chat.maxRooms,
    maxMessagesPerSecond: config.chat.maxMessagesPerSecond,
    messageBurst: config.chat.messageBurst,
    maxRoomsPerConnection: config.chat.maxRoomsPerConnection,
    publicUrl: config.chat.publicUrl ?? '',
  }, [
    // The cluster observer first under the chat's root, so it reports the whole tree (/observer, `cohort status`).
    observerChild(system, { traffic: node }),
  ])
  const cluster = joinCluster(node, strategyFromConfig(config.cohort.discovery), { logger })
  // The probes on the chat's own port (one port for everything), answered by discovery's probe handler.
  const probes = probeRequestHandler({
    isAlive: () => system.isAlive(root),
    cluster,
    metrics: { transport: node, processes: system, restarts: { restarts: () => system.stats().restarts }, discovery: cluster },
    observer: { system },
    logger,
  })
  let http: ChatHttpServer | undefined
  registerChatMetrics(probes.registry, services, () => http?.connections)
  const authSecret = config.chat.authSecret
  const authenticate = proc.authenticate ?? (authSecret === undefined ? undefined : tokenAuthenticator(authSecret))
  const sockets = new SocketEndpoint(services, authenticate)
  // Where else browsers can connect: each peer's directory tells its public URL.
  const peerEndpoints = async (): Promise<string[]> => {
    const answers = await Promise.allSettled(
      system.nodes().map((peer) => system.call<string>({ name: CHAT_NAMES.directory, node: peer }, { t: 'endpoint' }, 1_000)),
    )
    return answers.flatMap((a) => (a.status === 'fulfilled' && typeof a.value === 'string' && a.value !== '' ? [a.value] : [])).sort()
  }
  http = await startChatHttpServer({
    host: config.http.host,
    port: config.http.port,
    maxConnections: config.chat.maxConnections,
    services,
    sockets,
    probes,
    endpoints: () => peerEndpoints(),
    ...(authenticate === undefined ? {} : { authenticate }),
  })
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? nodeConfig.host : config.http.host
  const url = config.chat.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`
  services.options.publicUrl = url

  const tellBrowsers = async (): Promise<void> => {
    const endpoints = await peerEndpoints()
    sockets.leave(endpoints)
    emit({ type: 'leaving', endpoints })
  }
  const shutdown = installGracefulShutdown({
    signals: proc.signals,
    drainDelayMs: config.cohort.shutdown.drainDelayMs,
    gracePeriodMs: config.cohort.shutdown.gracePeriodMs,
    setNotReady: () => {
      probes.setNotReady()
      tellBrowsers().catch((err: unknown) => logger.warn({ err }, 'could not tell browsers to reconnect'))
    },
    leave: async () => {
      await cluster.stop()
      await node.leave()
    },
    stopTree: async () => {
      services.presence?.stop()
      await system.shutdown()
      sockets.close()
      await http.close()
    },
    exit: proc.exit,
    logger,
  })
  const authentication = authenticate === undefined ? 'none: users are who their URL says' : proc.authenticate === undefined ? 'access tokens' : 'custom'
  logger.info({ url, cohort: node.url, authentication }, 'chat node ready')
  emit({ type: 'ready', url, cohort: node.url, creation: system.creation })
  return {
    config,
    node,
    root,
    cluster,
    http,
    services,
    shutdown,
    logger,
    url,
    say: (room, post) => postMessage(services, room, post),
    disconnect: (user, options) => disconnectUser(system, user, options),
  }
}
