/**
 * The RESP command table: every command the cache answers, with its arity, and the dispatch that checks them before a
 * handler runs. Arity follows Redis's convention: the count includes the command name; a negative arity `-n` means
 * "at least n". An unknown command or a wrong arity gets Redis's own `-ERR …` wording, and the connection stays open.
 *
 * Hot path: every RESP command is looked up here. Handlers run synchronously against the local replica and write
 * their reply straight into the connection's RespWriter; WAIT alone leaves its reply for later (`session.blocked`).
 */
import type { Buffer } from 'node:buffer'
import type { RespWriter } from './resp-writer.ts'
import { NO_KEYS, ONE_KEY } from './key-positions.ts'
import type { KeyPositions } from './key-positions.ts'
import type { CommandSession } from './command-session.ts'
import { STRING_COMMANDS } from './commands/string-commands.ts'
import { EXPIRY_COMMANDS } from './commands/expiry-commands.ts'
import { KEYSPACE_COMMANDS } from './commands/keyspace-commands.ts'
import { CONNECTION_COMMANDS } from './commands/connection-commands.ts'
import { SERVER_COMMANDS } from './commands/server-commands.ts'
import { REFUSED_COMMANDS } from './commands/refused-commands.ts'
import { WAIT_COMMAND } from './commands/wait-command.ts'

/** One command: how many arguments it takes and what it does. */
export interface CommandSpec {
  /** Lowercase name, as `COMMAND` lists it. */
  name: string
  /** Redis arity: exact count including the name, or `-n` for at least n. */
  arity: number
  /** Writes to the map (listed by `COMMAND` with the `write` flag). */
  write: boolean
  /** Can add data, so is refused over `CACHE_MAX_MEMORY` (Redis's `denyoom` flag, listed by `COMMAND`). */
  denyOom?: boolean
  /**
   * Runs while the node is loading, that is, before it holds its peers' data (Redis's `loading` flag, listed by
   * `COMMAND`): the commands of the connection and the server. The rest, PING and DBSIZE among them as in Redis, get
   * `-LOADING …` until then.
   */
  loading?: boolean
  /**
   * Where its keys are, as `COMMAND` lists them for clients that route by key: the first key's position, the last's
   * (-1: the last argument) and the step between keys. By default `[1, 1, 1]`, one key after the name, or `[0, 0, 0]`
   * for a command of arity 1 or -1. `[0, 0, 0]` for a command whose arguments are no keys (ECHO's message, SCAN's
   * cursor, CONFIG's and MEMORY's subcommands), `[1, -1, 1]` for one that takes only keys (DEL, MGET), `[1, -1, 2]`
   * for keys and values in turn (MSET). As Redis lists them.
   */
  keys?: KeyPositions
  /** Runs the command; `args[0]` is the command name. */
  run(args: Buffer[], session: CommandSession, out: RespWriter): void
}

/** COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND LIST and COMMAND DOCS (redis-cli asks for DOCS on connect). */
const COMMAND_COMMAND: CommandSpec = {
  name: 'command',
  arity: -1,
  write: false,
  loading: true,
  run(args, _s, out) {
    const sub = args[1]?.toString('latin1').toUpperCase()
    const describe = (spec: CommandSpec): void => {
      const [first, last, step] = spec.keys ?? (spec.arity === 1 || spec.arity === -1 ? NO_KEYS : ONE_KEY)
      out.arrayHeader(6)
      out.bulkText(spec.name)
      out.integer(spec.arity)
      out.arrayHeader(1 + (spec.denyOom === true ? 1 : 0) + (spec.loading === true ? 1 : 0))
      out.simple(spec.write ? 'write' : 'readonly')
      if (spec.denyOom === true) out.simple('denyoom')
      if (spec.loading === true) out.simple('loading')
      out.integer(first)
      out.integer(last)
      out.integer(step)
    }
    switch (sub) {
      case undefined:
        out.arrayHeader(COMMAND_TABLE.size)
        for (const spec of COMMAND_TABLE.values()) describe(spec)
        return
      case 'COUNT':
        return out.integer(COMMAND_TABLE.size)
      case 'LIST':
        out.arrayHeader(COMMAND_TABLE.size)
        for (const name of COMMAND_TABLE.keys()) out.bulkText(name)
        return
      case 'INFO': {
        out.arrayHeader(args.length - 2)
        for (const arg of args.slice(2)) {
          const spec = COMMAND_TABLE.get(arg.toString('latin1').toLowerCase())
          // A null bulk string, as Redis answers it ($-1), not a null array.
          if (spec === undefined) out.bulk(undefined)
          else describe(spec)
        }
        return
      }
      case 'DOCS':
        // No documentation entries: redis-cli then simply shows no hints.
        return out.arrayHeader(0)
      default:
        return out.error(`ERR unknown subcommand '${args[1]!.toString('latin1')}'. Try COMMAND HELP.`)
    }
  },
}

/** Every command by lowercase name. */
export const COMMAND_TABLE: ReadonlyMap<string, CommandSpec> = new Map(
  [
    COMMAND_COMMAND,
    ...STRING_COMMANDS,
    ...EXPIRY_COMMANDS,
    ...KEYSPACE_COMMANDS,
    ...CONNECTION_COMMANDS,
    ...SERVER_COMMANDS,
    WAIT_COMMAND,
    ...REFUSED_COMMANDS,
  ].map((spec) => [spec.name, spec]),
)

/** The table under both spellings clients send (ioredis lowercase, redis-cli and redis-benchmark uppercase), so the
 * common case needs no case folding. */
const BY_SPELLING: ReadonlyMap<string, CommandSpec> = new Map(
  [...COMMAND_TABLE.values()].flatMap((spec) => [
    [spec.name, spec],
    [spec.name.toUpperCase(), spec],
  ]),
)

/** Redis's reply to a command that would add data past `maxmemory`, word for word (clients match it). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'."

/**
 * The reply to a command without the `loading` flag while the node does not hold its peers' data yet. Redis answers
 * `LOADING Redis is loading the dataset in memory` while it reads its data set at start; clients match the `LOADING`
 * code (redis-py raises BusyLoadingError), and ioredis's ready check waits for INFO's `loading:0` before it sends.
 */
export const LOADING_ERROR = 'LOADING Cohort cache is catching up with its peers; try again shortly'

/** The commands a connection may run before it has authenticated: the ones that authenticate it, and QUIT. */
const BEFORE_AUTH = new Set(['auth', 'hello', 'quit'])

/**
 * Runs one parsed command and writes its reply. Never throws for anything a client sent. A blocking command (WAIT)
 * writes nothing and sets `session.blocked`: its caller writes the reply once that settles, and runs no other command
 * of the connection until then.
 */
export function executeCommand(args: Buffer[], session: CommandSession, out: RespWriter): void {
  const spelled = args[0]!.toString('latin1')
  const spec = BY_SPELLING.get(spelled) ?? COMMAND_TABLE.get(spelled.toLowerCase())
  session.commandsProcessed++
  if (spec === undefined) {
    // Each argument quoted and followed by a space, as Redis writes them (clients match the text).
    const shown = args
      .slice(1, 21)
      .map((a) => `'${a.toString('latin1').slice(0, 128)}' `)
      .join('')
    out.error(`ERR unknown command '${args[0]!.toString('latin1').slice(0, 128)}', with args beginning with: ${shown}`)
    return
  }
  if (spec.arity > 0 ? args.length !== spec.arity : args.length < -spec.arity) {
    out.error(`ERR wrong number of arguments for '${spec.name}' command`)
    return
  }
  // As Redis: with a password set, a connection runs nothing but these until it has authenticated.
  if (!session.authenticated && !BEFORE_AUTH.has(spec.name)) {
    out.error('NOAUTH Authentication required.')
    return
  }
  if (spec.denyOom === true && session.overMemory()) {
    session.facts.memoryLimit!.refuse()
    out.error(OOM_ERROR)
    return
  }
  // As Redis while it loads: after the checks above, in its order (a command refused for memory says so first).
  if (spec.loading !== true && session.loading()) {
    out.error(LOADING_ERROR)
    return
  }
  spec.run(args, session, out)
}
