/**
 * The cache's password on the RESP side, command by command as Redis's `requirepass` answers: nothing but AUTH, HELLO
 * and QUIT runs before the connection authenticates; AUTH takes the password alone or with the user `default`;
 * HELLO's AUTH option authenticates too; a wrong password changes nothing; RESET asks for it again.
 */
import { Buffer } from 'node:buffer'
import { startReplicatedMap } from '@cohort/core'
import { createNetwork } from '@cohort/core/testing'
import type { InMemoryNetwork } from '@cohort/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import type { CacheMap } from './cache-map.ts'
import { CommandSession } from './command-session.ts'
import { executeCommand } from './command-table.ts'
import { Password } from './password.ts'
import { RespWriter } from './resp-writer.ts'
import { TEST_FACTS } from './test-support/test-facts.ts'

let net: InMemoryNetwork | undefined
afterEach(async () => {
  await net?.[Symbol.asyncDispose]()
  net = undefined
})

const NOAUTH = '-NOAUTH Authentication required.\r\n'
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.\r\n'

/** A session of a node whose password is `password`, and a helper that runs one command and returns the raw reply. */
function setup(password: string | undefined) {
  net = createNetwork()
  const a = net.addNode('a@h')
  const map = startReplicatedMap<Uint8Array>(a, { scope: 'cache' }) as CacheMap
  const facts = password === undefined ? TEST_FACTS : { ...TEST_FACTS, password: new Password(password) }
  const session = new CommandSession(map, () => a.clock.now(), facts, 1)
  const out = new RespWriter()
  const run = (...args: string[]): string => {
    executeCommand(args.map((x) => Buffer.from(x, 'latin1')), session, out)
    return Buffer.concat(out.take()).toString('latin1')
  }
  return { session, run, map }
}

describe('Password', () => {
  it('matches its own bytes only, from a string or a RESP argument', () => {
    const password = new Password('pässword')
    expect(password.matches('pässword')).toBe(true)
    expect(password.matches(Buffer.from('pässword', 'utf8'))).toBe(true)
    expect(password.matches('pässwor')).toBe(false)
    expect(password.matches('pässword ')).toBe(false)
    expect(password.matches('')).toBe(false)
  })
})

describe('a cache with a password', () => {
  it('runs nothing before AUTH but AUTH, HELLO and QUIT, and refuses HELLO without the AUTH option', () => {
    const { run, map, session } = setup('s3cret')
    expect(session.authenticated).toBe(false)
    expect(run('SET', 'k', 'v')).toBe(NOAUTH)
    expect(run('GET', 'k')).toBe(NOAUTH)
    expect(run('PING')).toBe(NOAUTH)
    expect(run('KEYS', '*')).toBe(NOAUTH)
    expect(run('HELLO', '2')).toMatch(/^-NOAUTH HELLO must be called with the client already authenticated/)
    expect(map.get('k')).toBeUndefined()
    // What is unknown or misspelled is still named as such, as Redis does.
    expect(run('NOPE')).toMatch(/^-ERR unknown command 'NOPE'/)
    expect(run('QUIT')).toBe('+OK\r\n')
    expect(session.closeRequested).toBe(true)
  })

  it('takes the password alone or for the user default, and a wrong one changes nothing', () => {
    const { run, session } = setup('s3cret')
    expect(run('AUTH', 'wrong')).toBe(WRONGPASS)
    expect(run('AUTH', 'admin', 's3cret')).toBe(WRONGPASS)
    expect(run('AUTH', 'default', 's3cret', 'extra')).toBe('-ERR syntax error\r\n')
    expect(run('GET', 'k')).toBe(NOAUTH)
    expect(run('AUTH', 's3cret')).toBe('+OK\r\n')
    expect(run('SET', 'k', 'v')).toBe('+OK\r\n')
    expect(run('GET', 'k')).toBe('$1\r\nv\r\n')
    // A wrong AUTH on an authenticated connection leaves it authenticated, as in Redis.
    expect(run('AUTH', 'wrong')).toBe(WRONGPASS)
    expect(session.authenticated).toBe(true)
    expect(run('RESET')).toBe('+RESET\r\n')
    expect(run('GET', 'k')).toBe(NOAUTH)
    expect(run('AUTH', 'default', 's3cret')).toBe('+OK\r\n')
    expect(run('GET', 'k')).toBe('$1\r\nv\r\n')
  })

  it("authenticates through HELLO's AUTH option, and sets the name only when it succeeds", () => {
    const { run } = setup('s3cret')
    expect(run('HELLO', '2', 'AUTH', 'default', 'wrong', 'SETNAME', 'app')).toBe(WRONGPASS)
    expect(run('HELLO', '2', 'AUTH', 'default')).toBe("-ERR Syntax error in HELLO option 'AUTH'\r\n")
    expect(run('CLIENT', 'GETNAME')).toBe(NOAUTH)
    expect(run('HELLO', '2', 'AUTH', 'default', 's3cret', 'SETNAME', 'app')).toMatch(/^\*14\r\n\$6\r\nserver\r\n/)
    expect(run('CLIENT', 'GETNAME')).toBe('$3\r\napp\r\n')
  })
})

describe('a cache without a password', () => {
  it("runs every command at once and answers AUTH as Redis does for a server that has none", () => {
    const { run, session } = setup(undefined)
    expect(session.authenticated).toBe(true)
    expect(run('SET', 'k', 'v')).toBe('+OK\r\n')
    expect(run('AUTH', 'x')).toMatch(/^-ERR AUTH <password> called without any password configured for the default user/)
    // As Redis 7.0.15 answers (checked beside a real redis-server): its default user then takes any password, by name.
    expect(run('AUTH', 'default', 'anything')).toBe('+OK\r\n')
    expect(run('AUTH', 'bob', 'x')).toMatch(/^-WRONGPASS invalid username-password pair/)
    expect(run('HELLO', '2', 'AUTH', 'default', 'x')).toMatch(/^\*14\r\n\$6\r\nserver\r\n/)
    expect(run('HELLO', '2', 'AUTH', 'bob', 'x')).toMatch(/^-WRONGPASS/)
    expect(run('RESET')).toBe('+RESET\r\n')
    expect(run('GET', 'k')).toBe('$1\r\nv\r\n')
  })
})
