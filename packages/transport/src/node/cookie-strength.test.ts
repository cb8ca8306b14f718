/** Cookie strength: the estimate, and the warning a node logs when it starts with a weak cookie. */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cookieStrengthBits, isWeakCookie, WEAK_COOKIE_BITS } from './cookie-strength.ts'
import { logged, testNode } from '../test-support/nodes.ts'

describe('cookieStrengthBits', () => {
  it("calls the README's 'secret', short words and repeated characters weak, 32 random bytes strong", () => {
    for (const weak of ['secret', 'cookie', 'abcde', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'test-cookie', '123456789012']) {
      expect(isWeakCookie(weak), weak).toBe(true)
    }
    const strong = randomBytes(32).toString('base64')
    expect(cookieStrengthBits(strong)).toBeGreaterThanOrEqual(WEAK_COOKIE_BITS)
    expect(isWeakCookie(strong)).toBe(false)
  })
})

describe('a node started with a weak cookie', () => {
  it('warns, naming the estimate and the fix but never the cookie', async () => {
    const weak = await testNode('a', { cookie: 'secret' })
    const line = logged(weak.log, 'weak cookie')[0]
    expect(line).toMatchObject({ level: 40, reason: expect.stringContaining('openssl rand') })
    expect(JSON.stringify(weak.log.records)).not.toContain('"secret"')
    const strong = await testNode('b', { cookie: randomBytes(32).toString('base64') })
    expect(logged(strong.log, 'weak cookie')).toEqual([])
  })
})
