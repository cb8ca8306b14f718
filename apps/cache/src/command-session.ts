/**
 * The state one RESP connection carries between commands (its name, whether it asked to quit, whether it
 * authenticated, the reply it is blocked on), and what every command handler reaches through it: the replicated map,
 * the clock, and the node's facts for INFO.
 */
import type { CacheMap } from './cache-map.ts'
import type { RespWriter } from './resp-writer.ts'
import type { MemoryLimit } from './memory-limit.ts'
import type { Password } from './password.ts'

/** Node-wide facts a command may report (INFO, HELLO, CLIENT). */
export interface ServerFacts {
  /** This node's name, e.g. `cache@10.0.0.5`. */
  readonly nodeName: string
  /** The cache's version, as INFO reports `redis_version`-like fields. */
  readonly version: string
  /** Clock time the service started. */
  readonly startedAt: number
  /** RESP port. */
  readonly port: number
  /** Open RESP connections. */
  connectedClients(): number
  /** Commands processed since start, over all connections. */
  totalCommands(): number
  /** Memory in use by the process, in bytes. */
  memory(): { rss: number; heapUsed: number }
  /** What AUTH must present before any other command runs (`CACHE_PASSWORD`); none: every connection may run them. */
  readonly password?: Password | undefined
  /** `CACHE_MAX_MEMORY`: past it, commands that add data are refused; none: no limit. */
  readonly memoryLimit?: MemoryLimit | undefined
  /**
   * True while the node may not hold its peers' data yet (discovery has not succeeded once, or its first catch-up is
   * under way; at most `CACHE_READY_CATCH_UP_MS`), so that a client connected straight to the port does not read an
   * empty replica. None: never.
   */
  readonly loading?: (() => boolean) | undefined
}

/** Per-connection state plus what handlers need. */
export class CommandSession {
  readonly map: CacheMap
  readonly now: () => number
  readonly facts: ServerFacts
  readonly id: number
  /** Set by CLIENT SETNAME. */
  clientName: string | undefined = undefined
  /** Set by QUIT: the connection closes once the reply is written. */
  closeRequested = false
  /** Commands this connection ran. */
  commandsProcessed = 0
  /** False until AUTH (or HELLO's AUTH) presents the password, when one is set; RESET clears it again. */
  authenticated: boolean
  /**
   * The reply a blocking command (WAIT) left to write later, once the promise settles (it never rejects). Until then
   * the connection runs nothing more: the commands a client pipelined behind it wait, as behind a blocked Redis
   * client, and their replies follow its reply in order.
   */
  blocked: Promise<(out: RespWriter) => void> | undefined = undefined

  constructor(map: CacheMap, now: () => number, facts: ServerFacts, id: number) {
    this.map = map
    this.now = now
    this.facts = facts
    this.id = id
    this.authenticated = facts.password === undefined
  }

  /** Whether the data set is past `facts.memoryLimit`: commands that add data are refused until it is not. */
  overMemory(): boolean {
    return this.facts.memoryLimit?.over(this.map) === true
  }

  /** Whether the node is loading (`facts.loading`): commands without the `loading` flag get `-LOADING` until it is not. */
  loading(): boolean {
    return this.facts.loading?.() === true
  }
}
