/**
 * Options of `startNode`: one object, one frozen defaults definition, validated once before anything listens.
 * Hot code reads the resolved fields only.
 */
import { MIN_TICK_MS } from '../connection/tick-agreement.ts'
import { InvalidOptionError, systemClock, systemRandom } from '@cohort/core'
import type { ActorSystemOptions, Clock, Random } from '@cohort/core'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { parseNodeName } from '@cohort/core'
import { isWebSocketUrl } from '../wire/transport-control.ts'
import { resolveTlsOptions } from './tls-options.ts'
import type { ResolvedTlsOptions, TlsOptions } from './tls-options.ts'

/** Options of `startNode`. */
export interface NodeOptions {
  /** Node name, `app@host`; the identity peers know this node by. */
  name: string
  /** Shared secret proven in the handshake (HMAC-SHA256); never logged, never sent. */
  cookie: string
  /** Interface to listen on. @default '0.0.0.0' (every interface, as Erlang's distribution listens) */
  host?: string
  /** Port to listen on; 0 picks a free one, reported as `node.port`. @default 0 */
  port?: number
  /**
   * The URL peers should dial to reach this node (advertised in the handshake and in peer lists).
   * @default `ws://<host of the name>:<port>` (`wss://` with `tls`)
   */
  url?: string
  /** A peer silent for this long is down; a tick is sent after a quarter of it without traffic. @default 15000 */
  tickMs?: number
  /** A connection that has not finished its handshake after this long is closed (code 4002). @default 5000 */
  handshakeTimeoutMs?: number
  /** Largest encoded message sent or accepted; larger ones fail with COHORT_ERR_MESSAGE_TOO_LARGE. @default 8 MiB */
  maxMessageBytes?: number
  /**
   * Messages larger than this are split into fragments of this size, interleaved with small ones.
   * @default 256 KiB — above the common 64 KiB message (which then travels whole), and small enough that a small
   * message waits behind at most two fragments in the socket's buffer (measured in bench/RESULTS.md)
   */
  fragmentBytes?: number
  /** A batch is flushed as soon as it holds this many bytes, not only once per event-loop turn. @default 256 KiB */
  flushThresholdBytes?: number
  /** Above this many unsent bytes to a peer, `send` reports `'busy'` and senders pause. @default 4 MiB */
  highWaterMarkBytes?: number
  /** `drain(peer)` resolves once unsent bytes fall below this. @default 1 MiB */
  lowWaterMarkBytes?: number
  /**
   * Inbound handshakes in progress at once. When a new socket finds them all taken, the oldest one that has not sent
   * its hello is closed to make room, then the oldest whose claimed name is not a peer this node knows; only when
   * every slot holds a known peer's handshake is the newcomer refused (4012). @default 64
   */
  maxPendingHandshakes?: number
  /**
   * Inbound handshakes in progress at once from one remote address; a new socket from an address at the limit closes
   * that address's oldest. Generous, since many nodes may share an address behind a NAT or a proxy. @default 16
   */
  maxPendingHandshakesPerAddress?: number
  /**
   * An accepted socket that has not sent its hello this long after it opened is closed (4002): a real node sends it
   * at once, so idle sockets cannot hold the pending-handshake slots. Capped by `handshakeTimeoutMs`. @default 2000
   */
  helloTimeoutMs?: number
  /**
   * After a failed dial, the next dial to that peer (from a send, `connect`, discovery or a peer list) waits this
   * long, doubling per further failure up to `reconnectMaxMs`, with jitter; a success resets it. Sends meanwhile
   * queue (and make senders busy) as for any peer not connected yet. @default 200
   */
  reconnectMinMs?: number
  /** The longest wait between two dials to one peer that keeps failing. @default 5000 */
  reconnectMaxMs?: number
  /**
   * For this many milliseconds after a frame arrives, the event loop keeps polling its sockets instead of sleeping
   * when it runs out of work, as Erlang's schedulers busy-wait (`erl +sbwt`). A round trip then skips the kernel's
   * wake-up of a sleeping process, the largest cost of a small call on a virtual machine (calls ran 1.1–1.8× as
   * fast in the benchmark, one or 100 in flight). The price is a whole core for the window after every frame, so a
   * node with steady traffic uses a core all the time: for nodes whose cores are their own, not for pods with CPU
   * limits. An integer from 0 (off) to 1000.
   * @default 0
   */
  busyWaitMs?: number
  /** Jitter for the reconnect backoff. @default core's systemRandom */
  random?: Random
  /** A hidden node (CLI, observer) connects without joining the mesh and is not listed in `nodes()`. @default false */
  hidden?: boolean
  /**
   * Mask the frames this node sends on connections it dialled with a random key, as RFC 6455 asks of WebSocket
   * clients. Off, the key is zero (ws's `generateMask`), so `ws` sends the bytes as they are instead of copying every
   * byte into a masked buffer. The key protects proxies that do not understand WebSocket from bytes chosen by a script
   * in a browser; between Cohort nodes no browser writes the frames, and with `tls` no proxy reads them. Turn it on
   * when plain `ws://` connections between nodes cross such a proxy. @default false
   */
  maskFrames?: boolean
  /**
   * Read large frames from plain `ws://` connections straight into memory of their size, as Distributed Erlang reads
   * a payload, instead of into Node's 64 KiB read buffers followed by `ws`'s copy of a frame that spans two of them:
   * 64 KiB and larger messages arrive with one copy (the kernel's) instead of two. It goes through Node internals
   * that `net`'s `onread` option uses; where they are not as expected the connection reads the default way. `false`
   * always reads the default way. No effect with `tls`. @default true
   */
  readInPlace?: boolean
  /**
   * Check every value that leaves this node (a send's message, a call's request, a reply, a remote spawn's
   * arguments) and throw NotSerializableError (COHORT_ERR_NOT_SERIALIZABLE) naming the part that would not arrive as
   * it was sent: a function, a class instance, a Promise, a symbol, an own `__proto__` key, a cycle, nesting deeper
   * than 256 levels (symbol-keyed properties are not data and are left out, as structuredClone leaves them out).
   * Small messages are checked by the walk that already bounds their size, so this costs nearly nothing; `false` skips the check for large ones too, and such values then change on the way.
   * @default true (a message either arrives as sent or the send throws)
   */
  checkMessages?: boolean
  /**
   * Once listening, warn (log) when the host of the node's name is not an address of this machine and does not
   * resolve to one, since peers dial that host. Skipped for hidden nodes and when `url` is set.
   * @default true
   */
  checkNameHost?: boolean
  /** Serve and dial `wss://` with these certificates. @default undefined (plain `ws://`) */
  tls?: TlsOptions
  /** Incarnation number; a restarted node must use a new one. @default random (chosen by core) */
  creation?: number
  /** Logger; the node binds `{ node }`, connections `{ peer, conn }`. @default a silent pino logger */
  logger?: Logger
  /** Time and timers (ticks, handshake deadlines, flushes). @default systemClock */
  clock?: Clock
  /** Further options of the node's ActorSystem. @default {} */
  system?: Omit<ActorSystemOptions, 'node' | 'creation' | 'logger' | 'clock'>
}

/** Options after defaults and validation. */
export interface ResolvedNodeOptions {
  readonly name: string
  readonly nameHost: string
  readonly cookie: string
  readonly host: string
  readonly port: number
  readonly url: string | undefined
  readonly tickMs: number
  readonly handshakeTimeoutMs: number
  readonly maxMessageBytes: number
  readonly fragmentBytes: number
  readonly flushThresholdBytes: number
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  readonly maxPendingHandshakes: number
  readonly maxPendingHandshakesPerAddress: number
  readonly helloTimeoutMs: number
  readonly reconnectMinMs: number
  readonly reconnectMaxMs: number
  readonly busyWaitMs: number
  readonly random: Random
  readonly hidden: boolean
  readonly maskFrames: boolean
  readonly readInPlace: boolean
  readonly checkMessages: boolean
  readonly checkNameHost: boolean
  readonly tls: ResolvedTlsOptions | undefined
  readonly creation: number | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly system: Omit<ActorSystemOptions, 'node' | 'creation' | 'logger' | 'clock'>
}

/** The defaults of every option that has a fixed default. */
export const DEFAULT_NODE_OPTIONS: Readonly<{
  host: string
  port: number
  tickMs: number
  handshakeTimeoutMs: number
  maxMessageBytes: number
  fragmentBytes: number
  flushThresholdBytes: number
  highWaterMarkBytes: number
  lowWaterMarkBytes: number
  maxPendingHandshakes: number
  maxPendingHandshakesPerAddress: number
  helloTimeoutMs: number
  reconnectMinMs: number
  reconnectMaxMs: number
  busyWaitMs: number
  hidden: boolean
  maskFrames: boolean
  readInPlace: boolean
  checkMessages: boolean
  checkNameHost: boolean
}> = Object.freeze({
  host: '0.0.0.0',
  port: 0,
  // Erlang's net_ticktime is 60 s; 15 s detects a crashed pod well within a Kubernetes probe period.
  tickMs: 15_000,
  handshakeTimeoutMs: 5_000,
  maxMessageBytes: 8 * 1024 * 1024,
  // 64 KiB keeps a small message's wait behind a fragment under a millisecond on a LAN.
  fragmentBytes: 256 * 1024,
  flushThresholdBytes: 256 * 1024,
  highWaterMarkBytes: 4 * 1024 * 1024,
  lowWaterMarkBytes: 1024 * 1024,
  maxPendingHandshakes: 64,
  maxPendingHandshakesPerAddress: 16,
  // A real node says hello one round trip after the upgrade; two seconds allow for a slow link.
  helloTimeoutMs: 2_000,
  // A restarted pod is usually back within a second or two; a peer that stays away costs a dial every 5 s.
  reconnectMinMs: 200,
  reconnectMaxMs: 5_000,
  // Off: spinning costs a core, which a node in a pod with a CPU limit pays for in throttling.
  busyWaitMs: 0,
  hidden: false,
  maskFrames: false,
  readInPlace: true,
  checkMessages: true,
  checkNameHost: true,
})

export { MIN_TICK_MS }
/** Fragments and batches must fit a WebSocket frame the receiver accepts (see MAX_FRAME_BYTES in wire-codec.ts). */
export const MAX_FRAGMENT_BYTES = 1024 * 1024
export const MAX_FLUSH_THRESHOLD_BYTES = 2 * 1024 * 1024
/** A longer busy wait is a core spent for nothing: a second without a frame is idle. */
export const MAX_BUSY_WAIT_MS = 1000

/** Merges `input` over the defaults and validates every field. @throws InvalidOptionError (COHORT_ERR_INVALID_OPTION) */
export function resolveNodeOptions(input: NodeOptions): ResolvedNodeOptions {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('options', input, 'an object')
  const { host: nameHost } = parseNodeName(input.name, 'name')
  if (typeof input.cookie !== 'string' || input.cookie.length === 0) {
    // Never echo a cookie: describe only its type.
    throw new InvalidOptionError('cookie', typeof input.cookie === 'string' ? '' : typeof input.cookie, 'a non-empty string')
  }
  const o: ResolvedNodeOptions = {
    name: input.name,
    nameHost,
    cookie: input.cookie,
    host: input.host ?? DEFAULT_NODE_OPTIONS.host,
    port: input.port ?? DEFAULT_NODE_OPTIONS.port,
    url: input.url,
    tickMs: input.tickMs ?? DEFAULT_NODE_OPTIONS.tickMs,
    handshakeTimeoutMs: input.handshakeTimeoutMs ?? DEFAULT_NODE_OPTIONS.handshakeTimeoutMs,
    maxMessageBytes: input.maxMessageBytes ?? DEFAULT_NODE_OPTIONS.maxMessageBytes,
    fragmentBytes: input.fragmentBytes ?? DEFAULT_NODE_OPTIONS.fragmentBytes,
    flushThresholdBytes: input.flushThresholdBytes ?? DEFAULT_NODE_OPTIONS.flushThresholdBytes,
    highWaterMarkBytes: input.highWaterMarkBytes ?? DEFAULT_NODE_OPTIONS.highWaterMarkBytes,
    lowWaterMarkBytes: input.lowWaterMarkBytes ?? DEFAULT_NODE_OPTIONS.lowWaterMarkBytes,
    maxPendingHandshakes: input.maxPendingHandshakes ?? DEFAULT_NODE_OPTIONS.maxPendingHandshakes,
    maxPendingHandshakesPerAddress: input.maxPendingHandshakesPerAddress ?? DEFAULT_NODE_OPTIONS.maxPendingHandshakesPerAddress,
    helloTimeoutMs: input.helloTimeoutMs ?? DEFAULT_NODE_OPTIONS.helloTimeoutMs,
    reconnectMinMs: input.reconnectMinMs ?? DEFAULT_NODE_OPTIONS.reconnectMinMs,
    reconnectMaxMs: input.reconnectMaxMs ?? DEFAULT_NODE_OPTIONS.reconnectMaxMs,
    busyWaitMs: input.busyWaitMs ?? DEFAULT_NODE_OPTIONS.busyWaitMs,
    random: input.random ?? systemRandom,
    hidden: input.hidden ?? DEFAULT_NODE_OPTIONS.hidden,
    maskFrames: input.maskFrames ?? DEFAULT_NODE_OPTIONS.maskFrames,
    readInPlace: input.readInPlace ?? DEFAULT_NODE_OPTIONS.readInPlace,
    checkMessages: input.checkMessages ?? DEFAULT_NODE_OPTIONS.checkMessages,
    checkNameHost: input.checkNameHost ?? DEFAULT_NODE_OPTIONS.checkNameHost,
    tls: input.tls === undefined ? undefined : resolveTlsOptions(input.tls),
    creation: input.creation,
    logger: input.logger ?? pino({ level: 'silent' }),
    clock: input.clock ?? systemClock,
    system: input.system ?? {},
  }
  if (typeof o.host !== 'string' || o.host.length === 0) throw new InvalidOptionError('host', o.host, 'a host name or IP address')
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new InvalidOptionError('port', o.port, 'an integer from 0 to 65535')
  if (o.url !== undefined && !isWebSocketUrl(o.url)) throw new InvalidOptionError('url', o.url, 'a ws:// or wss:// URL')
  integerAtLeast('tickMs', o.tickMs, MIN_TICK_MS)
  integerAtLeast('handshakeTimeoutMs', o.handshakeTimeoutMs, 1)
  integerAtLeast('maxMessageBytes', o.maxMessageBytes, 1024)
  integerAtLeast('fragmentBytes', o.fragmentBytes, 1024)
  if (o.fragmentBytes > MAX_FRAGMENT_BYTES) throw new InvalidOptionError('fragmentBytes', o.fragmentBytes, `at most ${MAX_FRAGMENT_BYTES}`)
  integerAtLeast('flushThresholdBytes', o.flushThresholdBytes, 1024)
  if (o.flushThresholdBytes > MAX_FLUSH_THRESHOLD_BYTES) {
    throw new InvalidOptionError('flushThresholdBytes', o.flushThresholdBytes, `at most ${MAX_FLUSH_THRESHOLD_BYTES}`)
  }
  integerAtLeast('highWaterMarkBytes', o.highWaterMarkBytes, 1)
  integerAtLeast('lowWaterMarkBytes', o.lowWaterMarkBytes, 0)
  if (o.lowWaterMarkBytes >= o.highWaterMarkBytes) {
    throw new InvalidOptionError('lowWaterMarkBytes', o.lowWaterMarkBytes, `less than highWaterMarkBytes (${o.highWaterMarkBytes})`)
  }
  integerAtLeast('maxPendingHandshakes', o.maxPendingHandshakes, 1)
  integerAtLeast('maxPendingHandshakesPerAddress', o.maxPendingHandshakesPerAddress, 1)
  integerAtLeast('helloTimeoutMs', o.helloTimeoutMs, 1)
  integerAtLeast('reconnectMinMs', o.reconnectMinMs, 1)
  integerAtLeast('reconnectMaxMs', o.reconnectMaxMs, o.reconnectMinMs)
  integerAtLeast('busyWaitMs', o.busyWaitMs, 0)
  if (o.busyWaitMs > MAX_BUSY_WAIT_MS) throw new InvalidOptionError('busyWaitMs', o.busyWaitMs, `at most ${MAX_BUSY_WAIT_MS}`)
  if (typeof o.random !== 'function') throw new InvalidOptionError('random', typeof o.random, 'a function returning a number in [0, 1)')
  if (typeof o.hidden !== 'boolean') throw new InvalidOptionError('hidden', o.hidden, 'a boolean')
  if (typeof o.maskFrames !== 'boolean') throw new InvalidOptionError('maskFrames', o.maskFrames, 'a boolean')
  if (typeof o.readInPlace !== 'boolean') throw new InvalidOptionError('readInPlace', o.readInPlace, 'a boolean')
  if (typeof o.checkMessages !== 'boolean') throw new InvalidOptionError('checkMessages', o.checkMessages, 'a boolean')
  if (typeof o.checkNameHost !== 'boolean') throw new InvalidOptionError('checkNameHost', o.checkNameHost, 'a boolean')
  if (o.creation !== undefined && (!Number.isSafeInteger(o.creation) || o.creation < 0)) {
    throw new InvalidOptionError('creation', o.creation, 'a non-negative integer')
  }
  if (o.tls !== undefined && o.url !== undefined && !o.url.startsWith('wss://')) {
    throw new InvalidOptionError('url', o.url, 'a wss:// URL, since tls is set')
  }
  return Object.freeze(o)
}


function integerAtLeast(option: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(option, value, `an integer of at least ${min}`)
  }
}
