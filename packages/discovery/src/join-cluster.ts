/**
 * joinCluster: runs a strategy and keeps a node connected to the peers it reports. New peers are dialled at once;
 * a known peer that drops (nodedown) or cannot be reached is redialled with capped exponential backoff and jitter, so
 * a transient disconnect never leaves the cluster split until discovery next changes; a vanished peer is forgotten
 * (no more redials). Used by every app's composition root, between startNode and startProbeServer.
 * Gotchas: a failed lookup keeps the last known set (fail-open). A vanished peer is not disconnected unless
 * `disconnectVanished` is set: a terminating pod leaves the ready endpoints while it still drains, and a dead peer is
 * found by the transport's ticks.
 */
import type { Clock, Random } from '@cohort/core'
import { InvalidOptionError, systemClock, systemRandom } from '@cohort/core'
import type { Logger } from 'pino'
import { backoffDelay, checkBackoff } from './backoff.ts'
import type { ClusterNode, Peer } from './cluster-node.ts'
import { Listeners } from './internal/listeners.ts'
import { silentLogger } from './internal/silent-logger.ts'
import { CUT_OFF_REASON, NOT_JOINED_REASON } from './not-ready-reasons.ts'
import type { PeerSet, Strategy, StrategyRun } from './strategy.ts'

/** Options of joinCluster. */
export interface JoinClusterOptions {
  /** Parent logger; discovery logs under a child bound to `{ strategy }`. @default a silent logger */
  logger?: Logger
  /** @default systemClock */
  clock?: Clock
  /** Jitter source. @default systemRandom */
  random?: Random
  /** First redial delay after a drop or a failed dial, before jitter. @default 200 — a blip heals within a second */
  reconnectInitialMs?: number
  /** Longest redial delay. @default 30_000 — a peer down for long is retried twice a minute */
  reconnectMaxMs?: number
  /** Also disconnect peers that vanish from discovery. @default false — see the module Gotchas */
  disconnectVanished?: boolean
  /**
   * How long this node's own name may be missing from what discovery reports before a warning is logged.
   * @default 30_000 — a starting pod is missing until its endpoint turns ready and DNS caches expire
   */
  selfCheckMs?: number
  /** Consecutive failed lookups after which failures are logged at `error` instead of `warn`. @default 3 */
  errorAfterFailures?: number
  /**
   * A peer that stays unreachable is logged once when it fails, then once per this interval with the count of
   * attempts (each redial in between logs at `debug`). @default 300_000 — a line every five minutes per dead peer
   */
  unreachableSummaryMs?: number
}

/** The defaults of JoinClusterOptions. */
export const DEFAULT_JOIN_CLUSTER_OPTIONS: Readonly<{
  reconnectInitialMs: number
  reconnectMaxMs: number
  disconnectVanished: boolean
  selfCheckMs: number
  errorAfterFailures: number
  unreachableSummaryMs: number
}> = Object.freeze({
  reconnectInitialMs: 200,
  reconnectMaxMs: 30_000,
  disconnectVanished: false,
  selfCheckMs: 30_000,
  errorAfterFailures: 3,
  unreachableSummaryMs: 300_000,
})

/** One peer discovery wants connected. */
export interface ClusterMember {
  readonly name: string
  readonly url: string
  /** `connected`, being dialled (`connecting`), or waiting to redial (`backoff`). */
  readonly state: 'connected' | 'connecting' | 'backoff'
}

/** A change in the discovered set. */
export interface PeersChange {
  readonly peers: readonly Peer[]
  readonly added: readonly Peer[]
  readonly removed: readonly Peer[]
}

/** Counters for /metrics and the CLI. */
export interface ClusterStats {
  lookups: number
  lookupFailures: number
  consecutiveFailures: number
  dialFailures: number
  members: number
  connected: number
}

/** The events of a Cluster handle, by name, with their argument tuples. */
export type ClusterEvents = {
  /** The strategy succeeded for the first time. */
  ready: []
  /** The discovered set changed. */
  peers: [change: PeersChange]
  /** A wanted peer came up (dialled by us or by it). */
  connected: [name: string]
  /** A wanted peer went down; a redial follows. */
  disconnected: [name: string, reason: string]
  /** A redial is scheduled. */
  reconnecting: [info: { name: string; attempt: number; delayMs: number; error: Error | undefined }]
  /** A lookup failed; the last known set is kept. */
  lookupfailed: [error: Error, consecutiveFailures: number]
}

/** The handle joinCluster returns. */
export interface Cluster extends AsyncDisposable {
  /**
   * True once the strategy has succeeded at least once, unless this node is cut off (`cutOff`): then false, so that
   * /readyz keeps a node that cannot join any peer out of rotation.
   */
  readonly ready: boolean
  /**
   * True while discovery reports peers, none of them is connected, and one of them refused this node's handshake
   * (a different cookie, another protocol version): a configuration error, not a network one. A node whose peers are
   * merely unreachable is not cut off: it may be the last one running.
   */
  readonly cutOff: boolean
  /** Why `ready` is false, for /readyz; undefined when it is true. */
  readonly notReadyReason: string | undefined
  /** The discovered peers other than this node, with their connection state. */
  members(): ClusterMember[]
  stats(): ClusterStats
  on<K extends keyof ClusterEvents>(event: K, listener: (...args: ClusterEvents[K]) => void): this
  off<K extends keyof ClusterEvents>(event: K, listener: (...args: ClusterEvents[K]) => void): this
  /** Stops the strategy and all redials; connections stay up. Idempotent. */
  stop(): Promise<void>
}

interface MemberState {
  peer: Peer
  connected: boolean
  connecting: boolean
  attempt: number
  timer: unknown
  /** The last failure's reason, as logged. */
  lastReason: string | undefined
  /** The peer refused this node's handshake (a close code of a configuration error) on the last attempt. */
  refused: boolean
  /** When the last line about this peer's failures was logged at warn (clock.now()). */
  loggedAt: number
}

/** Close codes of a handshake refused for configuration (transport: 4001 cookie, 4003 version, 4004 invalid). */
const REFUSAL_CODES: ReadonlySet<unknown> = new Set([4001, 4003, 4004])

/** A failure's reason in one line: the error's own message, never its stack or its cause repeated. */
function oneLine(error: Error | undefined): string {
  return error?.message ?? 'unknown'
}

function resolveOptions(options: JoinClusterOptions) {
  const o = { ...DEFAULT_JOIN_CLUSTER_OPTIONS, ...stripUndefined(options) }
  checkBackoff('reconnect', { initialMs: o.reconnectInitialMs, maxMs: o.reconnectMaxMs })
  if (!Number.isFinite(o.selfCheckMs) || o.selfCheckMs < 0) {
    throw new InvalidOptionError('selfCheckMs', o.selfCheckMs, 'a number of milliseconds >= 0')
  }
  if (!Number.isFinite(o.unreachableSummaryMs) || o.unreachableSummaryMs < 0) {
    throw new InvalidOptionError('unreachableSummaryMs', o.unreachableSummaryMs, 'a number of milliseconds >= 0')
  }
  if (!Number.isInteger(o.errorAfterFailures) || o.errorAfterFailures < 1) {
    throw new InvalidOptionError('errorAfterFailures', o.errorAfterFailures, 'an integer >= 1')
  }
  return {
    ...o,
    clock: options.clock ?? systemClock,
    random: options.random ?? systemRandom,
    logger: options.logger ?? silentLogger(),
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Runs `strategy` and keeps `node` connected to the peers it reports.
 * @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) for a bad option
 * @example
 * const cluster = joinCluster(node, dnsA({ query: 'chat', port: 4370, basename: 'chat' }), { logger })
 * cluster.on('connected', (name) => logger.info({ peer: name }, 'peer connected'))
 */
export function joinCluster(node: ClusterNode, strategy: Strategy, options: JoinClusterOptions = {}): Cluster {
  const o = resolveOptions(options)
  const { clock, random } = o
  const logger = o.logger.child({ strategy: strategy.name })
  const listeners = new Listeners<ClusterEvents>(logger)
  const members = new Map<string, MemberState>()
  const stats = { lookups: 0, lookupFailures: 0, consecutiveFailures: 0, dialFailures: 0 }
  const connectedNow = new Set(node.nodes())
  let ready = false
  let stopped = false
  let stopping: Promise<void> | undefined
  let selfTimer: unknown
  let selfKnown = false
  let selfWarned = false

  const dial = (state: MemberState): void => {
    if (stopped || state.connected || state.connecting) return
    state.connecting = true
    const name = state.peer.name
    let dialled: Promise<void>
    try {
      dialled = node.connect({ name, url: state.peer.url })
    } catch (err) {
      dialled = Promise.reject(err)
    }
    dialled.then(
      () => {
        state.connecting = false
        if (members.get(name) !== state) return
        markConnected(state)
      },
      (err: unknown) => {
        state.connecting = false
        if (stopped || members.get(name) !== state || state.connected) return
        stats.dialFailures++
        state.refused = REFUSAL_CODES.has((err as { closeCode?: unknown } | null)?.closeCode)
        scheduleRedial(state, err instanceof Error ? err : new Error(String(err)))
        checkCutOff()
      },
    )
  }

  const scheduleRedial = (state: MemberState, error: Error | undefined, departed = false): void => {
    if (stopped || state.timer !== undefined) return
    state.attempt++
    const delayMs = backoffDelay(state.attempt, { initialMs: o.reconnectInitialMs, maxMs: o.reconnectMaxMs }, random)
    // A peer that said it was leaving is not trouble: it may come back on the same address (a restart), so it is
    // redialled all the same, but logged as a life-cycle event.
    if (departed) logger.info({ peer: state.peer.name, durationMs: delayMs }, 'peer left; redialling while discovery reports it')
    else logFailure(state, error, delayMs)
    state.timer = clock.setTimeout(() => {
      state.timer = undefined
      dial(state)
    }, delayMs)
    listeners.emit('reconnecting', { name: state.peer.name, attempt: state.attempt, delayMs, error })
  }

  /**
   * An expected network failure is one line without a stack when the peer's state changes (it was up, or the reason
   * is new), then a summary every `unreachableSummaryMs`; every redial in between is at debug.
   */
  const logFailure = (state: MemberState, error: Error | undefined, delayMs: number): void => {
    const reason = oneLine(error)
    const now = clock.now()
    const fields = { peer: state.peer.name, reason, attempt: state.attempt, durationMs: delayMs }
    if (reason !== state.lastReason) {
      state.lastReason = reason
      state.loggedAt = now
      logger.warn(fields, 'peer unreachable, redialling')
    } else if (now - state.loggedAt >= o.unreachableSummaryMs) {
      state.loggedAt = now
      logger.warn(fields, `peer still unreachable after ${state.attempt} attempts, redialling`)
    } else {
      logger.debug(fields, 'peer unreachable, redialling')
    }
  }

  let cutOff = false
  /** Re-evaluates `cutOff` after a dial failed or a peer came up, logging each change once. */
  const checkCutOff = (): void => {
    let connected = 0
    let refused = 0
    for (const s of members.values()) {
      if (s.connected) connected++
      if (s.refused) refused++
    }
    const now = members.size > 0 && connected === 0 && refused > 0
    if (now === cutOff) return
    cutOff = now
    if (now) {
      const reasons = [...members.values()].filter((s) => s.lastReason !== undefined).slice(0, 5).map((s) => `${s.peer.name}: ${s.lastReason}`)
      logger.error(
        { peers: members.size, refused, reasons },
        `this node cannot join any of the ${members.size} peers discovery reports: ${refused} refused its handshake. ` +
          'Check that every node has the same cookie (COHORT_COOKIE or COHORT_COOKIE_FILE) and the same Cohort version; ' +
          '/readyz reports not ready until a peer accepts',
      )
    } else {
      logger.info({ peers: members.size, connected }, 'joined a peer again; no longer cut off')
    }
  }

  const markConnected = (state: MemberState): void => {
    if (state.connected) return
    state.connected = true
    state.attempt = 0
    state.lastReason = undefined
    state.refused = false
    if (state.timer !== undefined) {
      clock.clearTimeout(state.timer)
      state.timer = undefined
    }
    logger.info({ peer: state.peer.name }, 'peer connected')
    listeners.emit('connected', state.peer.name)
    checkCutOff()
  }

  const onNodeUp = (name: string): void => {
    connectedNow.add(name)
    const state = members.get(name)
    if (!stopped && state !== undefined) markConnected(state)
  }

  const onNodeDown = (name: string, reason: string): void => {
    connectedNow.delete(name)
    const state = members.get(name)
    if (stopped || state === undefined || !state.connected) return
    state.connected = false
    listeners.emit('disconnected', name, reason)
    // A drop of a peer that discovery still reports is healed by redialling, not by waiting for discovery to change.
    scheduleRedial(state, new Error(`connection lost: ${reason}`), reason === 'leaving')
  }

  const checkSelf = (set: PeerSet): void => {
    const known = set.peers.some((p) => p.name === node.name) || (set.pending ?? []).includes(node.name)
    selfKnown = known
    if (known) {
      selfWarned = false
      if (selfTimer !== undefined) clock.clearTimeout(selfTimer)
      selfTimer = undefined
      return
    }
    if (selfTimer !== undefined || selfWarned) return
    selfTimer = clock.setTimeout(() => {
      selfTimer = undefined
      if (stopped || selfKnown) return
      selfWarned = true
      logger.warn(
        { node: node.name, peers: [...members.keys()].slice(0, 10) },
        'this node is not among the discovered peers: peers cannot reach it under its own name; ' +
          `expected discovery to report "${node.name}" (check the basename, host and name mode)`,
      )
    }, o.selfCheckMs)
  }

  const update = (set: PeerSet): void => {
    if (stopped) return
    stats.lookups++
    stats.consecutiveFailures = 0
    const next = new Map<string, Peer>()
    for (const peer of set.peers) if (peer.name !== node.name && !next.has(peer.name)) next.set(peer.name, peer)
    const added: Peer[] = []
    const removed: Peer[] = []
    for (const [name, state] of members) {
      if (next.has(name)) continue
      members.delete(name)
      if (state.timer !== undefined) clock.clearTimeout(state.timer)
      state.timer = undefined
      removed.push(state.peer)
      if (o.disconnectVanished && state.connected) node.disconnect(name)
    }
    for (const [name, peer] of next) {
      let state = members.get(name)
      if (state === undefined) {
        state = { peer, connected: connectedNow.has(name), connecting: false, attempt: 0, timer: undefined, lastReason: undefined, refused: false, loggedAt: 0 }
        members.set(name, state)
        added.push(peer)
      } else if (state.peer.url !== peer.url) {
        state.peer = peer
      }
      // Every peer not connected and not waiting on a timer is dialled on every report (libcluster#148).
      if (!state.connected && state.timer === undefined) dial(state)
    }
    checkSelf(set)
    if (removed.length > 0) checkCutOff()
    if (added.length > 0 || removed.length > 0) {
      logger.debug({ peers: [...next.keys()], added: added.length, removed: removed.length }, 'discovered peers changed')
      listeners.emit('peers', { peers: [...next.values()], added, removed })
    }
    if (!ready) {
      ready = true
      logger.info({ peers: next.size }, 'joined the cluster')
      listeners.emit('ready')
    }
  }

  const fail = (error: Error): void => {
    if (stopped) return
    stats.lookupFailures++
    stats.consecutiveFailures++
    const level = stats.consecutiveFailures >= o.errorAfterFailures ? 'error' : 'warn'
    logger[level](
      { err: error, failures: stats.consecutiveFailures, peers: members.size },
      'discovery lookup failed; keeping the last known peers',
    )
    listeners.emit('lookupfailed', error, stats.consecutiveFailures)
  }

  node.on('nodeup', onNodeUp)
  node.on('nodedown', onNodeDown)
  let run: StrategyRun | undefined
  try {
    run = strategy.start({ clock, random, logger, update, fail })
  } catch (err) {
    node.off('nodeup', onNodeUp)
    node.off('nodedown', onNodeDown)
    throw err
  }

  const cluster: Cluster = {
    get ready() {
      return ready && !cutOff
    },
    get cutOff() {
      return cutOff
    },
    get notReadyReason() {
      if (!ready) return NOT_JOINED_REASON
      if (cutOff) return CUT_OFF_REASON
      return undefined
    },
    members() {
      return [...members.values()].map((s) => ({
        name: s.peer.name,
        url: s.peer.url,
        state: s.connected ? 'connected' : s.connecting ? 'connecting' : 'backoff',
      }))
    },
    stats() {
      let connected = 0
      for (const s of members.values()) if (s.connected) connected++
      return { ...stats, members: members.size, connected }
    },
    on(event, listener) {
      listeners.on(event, listener)
      return cluster
    },
    off(event, listener) {
      listeners.off(event, listener)
      return cluster
    },
    stop() {
      stopping ??= (async () => {
        stopped = true
        node.off('nodeup', onNodeUp)
        node.off('nodedown', onNodeDown)
        if (selfTimer !== undefined) clock.clearTimeout(selfTimer)
        for (const state of members.values()) {
          if (state.timer !== undefined) clock.clearTimeout(state.timer)
          state.timer = undefined
        }
        await run?.stop()
        logger.info('left discovery')
      })()
      return stopping
    },
    [Symbol.asyncDispose]() {
      return cluster.stop()
    },
  }
  return cluster
}
