import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { CLOCK_SKEW_S, signAccessToken, verifyAccessToken } from './access-token.ts'

const secret = Buffer.from('a secret of at least thirty-two bytes, for tests')
const now = Date.UTC(2026, 11, 6, 12, 0, 0)
const seconds = now / 1000
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('verifyAccessToken', () => {
  it('names the user of a token signed with the secret: its name, else its sub', () => {
    expect(verifyAccessToken(signAccessToken({ sub: 'u-17', name: 'Ada Lovelace', exp: seconds + 60 }, secret), secret, now)).toEqual({
      user: 'Ada Lovelace',
      expiresAt: (seconds + 60 + CLOCK_SKEW_S) * 1000,
    })
    expect(verifyAccessToken(signAccessToken({ sub: 'ada' }, secret), secret, now)).toEqual({ user: 'ada' })
  })

  it('reads tokens any HS256 library makes, padding-free base64url and non-ASCII names included', () => {
    const head = b64({ typ: 'JWT', alg: 'HS256' })
    const body = b64({ name: 'Zoë 😀', iat: seconds })
    const token = `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`
    expect(verifyAccessToken(token, secret, now)).toEqual({ user: 'Zoë 😀' })
  })

  it('refuses a token signed with another secret, or changed after signing', () => {
    const other = signAccessToken({ name: 'ada' }, Buffer.from('another secret that is also thirty-two bytes long'))
    expect(verifyAccessToken(other, secret, now)).toEqual({ refused: expect.stringMatching(/signature does not match/) })
    const [head, , signature] = signAccessToken({ name: 'ada' }, secret).split('.')
    expect(verifyAccessToken(`${head}.${b64({ name: 'admin' })}.${signature}`, secret, now)).toEqual({ refused: expect.stringMatching(/signature does not match/) })
    expect(verifyAccessToken(`${head}.${b64({ name: 'ada' })}.`, secret, now)).toEqual({ refused: expect.stringMatching(/signature does not match/) })
  })

  it('accepts only HS256, whatever the header asks for', () => {
    const body = b64({ name: 'admin' })
    for (const alg of ['none', 'HS512', 'RS256', undefined]) {
      const head = b64({ alg, typ: 'JWT' })
      const token = `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`
      expect(verifyAccessToken(token, secret, now)).toEqual({ refused: 'the token\'s header must name alg "HS256"' })
    }
    expect(verifyAccessToken(`${b64({ alg: 'none' })}.${body}.`, secret, now)).toEqual({ refused: 'the token\'s header must name alg "HS256"' })
  })

  it('checks exp and nbf with the allowed clock skew', () => {
    const at = (claims: Record<string, unknown>) => verifyAccessToken(signAccessToken({ name: 'ada', ...claims }, secret), secret, now)
    // Accepted for one second more: the connection it opens is closed when that second ends.
    expect(at({ exp: seconds - CLOCK_SKEW_S + 1 })).toEqual({ user: 'ada', expiresAt: now + 1000 })
    expect(at({ exp: seconds - CLOCK_SKEW_S })).toEqual({ refused: `the token expired at ${new Date((seconds - CLOCK_SKEW_S) * 1000).toISOString()}` })
    expect(at({ nbf: seconds + CLOCK_SKEW_S })).toEqual({ user: 'ada' })
    expect(at({ nbf: seconds + CLOCK_SKEW_S + 1 })).toEqual({ refused: expect.stringMatching(/^the token is not valid before 2026-12-06T12:00:31/) })
    expect(at({ exp: -1e20 })).toEqual({ refused: 'the token expired at -100000000000000000000 (seconds since 1970)' })
    expect(at({ nbf: 1e20 })).toEqual({ refused: 'the token is not valid before 100000000000000000000 (seconds since 1970)' })
    expect(at({ exp: 'tomorrow' })).toEqual({ refused: 'the token\'s "exp" is not a number' })
    expect(at({ nbf: null })).toEqual({ refused: 'the token\'s "nbf" is not a number' })
  })

  it('refuses a token that names no user, or one the chat cannot show', () => {
    expect(verifyAccessToken(signAccessToken({ sub: 42 }, secret), secret, now)).toEqual({ refused: 'the token names no user: give it a "name" or "sub" claim' })
    expect(verifyAccessToken(signAccessToken({ name: 'a\nb' }, secret), secret, now)).toEqual({ refused: expect.stringMatching(/^the token's user: invalid user name/) })
    expect(verifyAccessToken(signAccessToken({ name: 'x'.repeat(65) }, secret), secret, now)).toEqual({ refused: expect.stringMatching(/^the token's user/) })
  })

  it('passes on the rooms a token allows, and refuses a rooms claim that is not a list of rooms', () => {
    expect(verifyAccessToken(signAccessToken({ name: 'ada', rooms: ['lobby', 'team.*'] }, secret), secret, now)).toEqual({ user: 'ada', rooms: ['lobby', 'team.*'] })
    expect(verifyAccessToken(signAccessToken({ name: 'ada', rooms: 'lobby' }, secret), secret, now)).toEqual({
      refused: 'the token\'s "rooms" must be an array of room names, or prefixes ending in "*"',
    })
  })

  it('refuses what is not a token, with a reason, and never throws', () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d']) expect(verifyAccessToken(token, secret, now)).toEqual({ refused: expect.stringMatching(/three dot-separated parts/) })
    for (const token of ['%%%.e30.x', `${b64([1])}.e30.x`, `${Buffer.from('{').toString('base64url')}.e30.x`]) {
      expect(verifyAccessToken(token, secret, now)).toEqual({ refused: 'the token\'s header must name alg "HS256"' })
    }
    const head = b64({ alg: 'HS256' })
    for (const body of [b64('just a string'), Buffer.from('not json').toString('base64url')]) {
      const token = `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`
      expect(verifyAccessToken(token, secret, now)).toEqual({ refused: 'the token\'s claims are not a JSON object' })
    }
  })
})
