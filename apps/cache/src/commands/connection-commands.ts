/**
 * The connection commands, including what clients send when they connect: PING, ECHO, SELECT (database 0 only),
 * QUIT, RESET, HELLO (protocol 2 only; RESP3 is refused with NOPROTO so clients fall back), AUTH (the one password
 * of `CACHE_PASSWORD`, for the user `default`, as Redis's `requirepass`), and CLIENT SETNAME/GETNAME/ID/SETINFO/INFO/
 * LIST (ioredis and redis-cli send some of these).
 */
import type { CommandSpec } from '../command-table.ts'
import { NO_KEYS } from '../key-positions.ts'
import type { CommandSession } from '../command-session.ts'
import type { RespWriter } from '../resp-writer.ts'
import { NOT_AN_INTEGER, optionWord, parseInteger } from '../command-arguments.ts'

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.'
/** Redis's user when AUTH names none, and the only one a cache has. */
const DEFAULT_USER = Buffer.from('default')

/**
 * Checks `user` and `password` against the cache's password and marks the connection authenticated; false, with the
 * error written, when there is no password to check against or they are wrong. Redis's only user here is `default`.
 */
/**
 * `noPassword`: the error for `AUTH <password>` on a node without a password (Redis's); undefined where a user was
 * named (`AUTH <user> <password>`, `HELLO … AUTH`), which Redis accepts for its default user, then without a password
 * ("nopass": any password), and refuses for any other user.
 */
function authenticate(user: Buffer, password: Buffer, s: CommandSession, out: RespWriter, noPassword: string | undefined): boolean {
  const expected = s.facts.password
  if (expected === undefined) {
    if (noPassword !== undefined) out.error(noPassword)
    else if (!user.equals(DEFAULT_USER)) out.error(WRONGPASS)
    else return true
    return false
  }
  // Both compared every time, so a wrong user name takes as long as a wrong password.
  const rightUser = user.equals(DEFAULT_USER)
  const rightPassword = expected.matches(password)
  if (!rightUser || !rightPassword) {
    out.error(WRONGPASS)
    return false
  }
  s.authenticated = true
  return true
}

export const CONNECTION_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'ping',
    arity: -1,
    write: false,
    run(args, _s, out) {
      if (args.length > 2) return out.error("ERR wrong number of arguments for 'ping' command")
      if (args.length === 2) return out.bulk(args[1])
      out.simple('PONG')
    },
  },
  { name: 'echo', arity: 2, write: false, loading: true, keys: NO_KEYS, run: (args, _s, out) => out.bulk(args[1]) },
  {
    name: 'select',
    arity: 2,
    write: false,
    keys: NO_KEYS,
    loading: true,
    run(args, _s, out) {
      const index = parseInteger(args[1]!)
      if (index === undefined) return out.error(NOT_AN_INTEGER)
      // One database: a replicated cache has one keyspace, and a second one would be a second map.
      if (index !== 0) return out.error('ERR DB index is out of range')
      out.ok()
    },
  },
  {
    name: 'quit',
    arity: -1,
    write: false,
    loading: true,
    run(_args, s, out) {
      s.closeRequested = true
      out.ok()
    },
  },
  {
    name: 'reset',
    arity: 1,
    write: false,
    loading: true,
    run(_args, s, out) {
      s.clientName = undefined
      // As Redis: back to the default user, which must authenticate again when a password is set.
      s.authenticated = s.facts.password === undefined
      out.simple('RESET')
    },
  },
  {
    name: 'hello',
    arity: -1,
    write: false,
    loading: true,
    run(args, s, out) {
      if (args.length >= 2) {
        const version = parseInteger(args[1]!)
        if (version === undefined) return out.error('ERR Protocol version is not an integer or out of range')
        if (version !== 2) return out.error('NOPROTO unsupported protocol version')
      }
      let auth: [Buffer, Buffer] | undefined
      let name: string | undefined
      for (let i = 2; i < args.length; i++) {
        const word = optionWord(args[i]!)
        if (word === 'AUTH' && args[i + 2] !== undefined) auth = [args[++i]!, args[++i]!]
        else if (word === 'SETNAME' && args[i + 1] !== undefined) name = args[++i]!.toString('latin1')
        else return out.error(`ERR Syntax error in HELLO option '${args[i]!.toString('latin1')}'`)
      }
      if (auth !== undefined && !authenticate(auth[0], auth[1], s, out, undefined)) return
      if (!s.authenticated) {
        return out.error(
          'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
        )
      }
      if (name !== undefined) s.clientName = name
      out.arrayHeader(14)
      out.bulkText('server')
      out.bulkText('redis')
      out.bulkText('version')
      out.bulkText('7.0.0')
      out.bulkText('proto')
      out.integer(2)
      out.bulkText('id')
      out.integer(s.id)
      out.bulkText('mode')
      out.bulkText('standalone')
      out.bulkText('role')
      out.bulkText('master')
      out.bulkText('modules')
      out.arrayHeader(0)
    },
  },
  {
    name: 'auth',
    arity: -2,
    write: false,
    keys: NO_KEYS,
    loading: true,
    run(args, s, out) {
      if (args.length > 3) return out.error('ERR syntax error')
      const noPassword = 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'
      if (authenticate(args.length === 3 ? args[1]! : DEFAULT_USER, args.at(-1)!, s, out, args.length === 3 ? undefined : noPassword)) out.ok()
    },
  },
  {
    name: 'client',
    arity: -2,
    write: false,
    keys: NO_KEYS,
    loading: true,
    run(args, s, out) {
      const sub = optionWord(args[1]!)
      switch (sub) {
        case 'SETNAME':
          if (args.length !== 3) return out.error("ERR wrong number of arguments for 'client|setname' command")
          if (/[\s]/.test(args[2]!.toString('latin1'))) return out.error('ERR Client names cannot contain spaces, newlines or special characters.')
          s.clientName = args[2]!.length === 0 ? undefined : args[2]!.toString('latin1')
          return out.ok()
        case 'GETNAME':
          return s.clientName === undefined ? out.bulk(undefined) : out.bulkLatin1(s.clientName)
        case 'ID':
          if (args.length !== 2) return out.error("ERR wrong number of arguments for 'client|id' command")
          return out.integer(s.id)
        case 'SETINFO':
          return out.ok()
        case 'INFO':
        case 'LIST':
          return out.bulkText(`id=${s.id} name=${s.clientName ?? ''} db=0 cmd=client|${sub.toLowerCase()}\n`)
        default:
          return out.error(`ERR unknown subcommand '${args[1]!.toString('latin1')}'. Try CLIENT HELP.`)
      }
    },
  },
]
