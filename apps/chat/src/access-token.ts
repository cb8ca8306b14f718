/**
 * Access tokens: who a WebSocket's user is, when the node is given a secret (`CHAT_AUTH_SECRET`). A token is a JSON
 * Web Token signed with HMAC-SHA256 (RFC 7519, `alg` `HS256`), the kind a team's login service already issues: the
 * user's name is its `name` claim, else its `sub`; its `rooms` claim, when present, lists the rooms the user may be in
 * (room-access.ts); `exp` and `nbf`, when present, are checked with `CLOCK_SKEW_S` of leeway, and a connection made with
a token that has an `exp` is closed when it would be refused. Only HS256 is accepted, whatever the header says, so a
token cannot choose a weaker check (`alg: none`).
 *
 * Gotchas: the signature is compared in constant time; a token's claims are read only after its signature matched.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { checkUserName } from './chat-protocol.ts'
import { checkRoomList } from './room-access.ts'

/** Seconds by which `exp` and `nbf` may be off: the clocks of the issuer and the node are not the same clock. */
export const CLOCK_SKEW_S = 30

/** The shortest secret accepted: HS256 wants a key as long as its hash (32 bytes). */
export const MIN_SECRET_BYTES = 32

/**
 * Who the token says the user is, which rooms they may be in and, when it has an `exp`, when the access it gives ends
 * (`expiresAt`, ms since 1970: `exp` plus `CLOCK_SKEW_S`, the instant from which it is refused); or why it was refused.
 */
export type TokenCheck =
  | { readonly user: string; readonly rooms?: readonly string[]; readonly expiresAt?: number }
  | { readonly refused: string }

/** Checks `token` against `secret` at `nowMs`; never throws. */
export function verifyAccessToken(token: string, secret: Uint8Array, nowMs: number): TokenCheck {
  const parts = token.split('.')
  if (parts.length !== 3) return { refused: 'the token is not a JSON Web Token (expected three dot-separated parts)' }
  const [head, body, signature] = parts as [string, string, string]
  const header = decodePart(head)
  if (header === undefined || header['alg'] !== 'HS256') return { refused: 'the token\'s header must name alg "HS256"' }
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest()
  const given = Buffer.from(signature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { refused: 'the token\'s signature does not match: signed with another secret, or changed' }
  }
  const claims = decodePart(body)
  if (claims === undefined) return { refused: 'the token\'s claims are not a JSON object' }
  const now = nowMs / 1000
  const exp = claims['exp']
  if (exp !== undefined && typeof exp !== 'number') return { refused: 'the token\'s "exp" is not a number' }
  if (exp !== undefined && exp + CLOCK_SKEW_S <= now) return { refused: `the token expired at ${instant(exp)}` }
  const nbf = claims['nbf']
  if (nbf !== undefined && typeof nbf !== 'number') return { refused: 'the token\'s "nbf" is not a number' }
  if (nbf !== undefined && nbf - CLOCK_SKEW_S > now) return { refused: `the token is not valid before ${instant(nbf)}` }
  const user = typeof claims['name'] === 'string' ? claims['name'] : claims['sub']
  if (typeof user !== 'string') return { refused: 'the token names no user: give it a "name" or "sub" claim' }
  const bad = checkUserName(user)
  if (bad !== undefined) return { refused: `the token's user: ${bad}` }
  const rooms = claims['rooms']
  const badRooms = rooms === undefined ? undefined : checkRoomList(rooms)
  if (badRooms !== undefined) return { refused: `the token's ${badRooms}` }
  return {
    user: user.trim(),
    ...(rooms === undefined ? {} : { rooms: rooms as string[] }),
    ...(exp === undefined ? {} : { expiresAt: (exp + CLOCK_SKEW_S) * 1000 }),
  }
}

/**
 * A token for `claims` signed with `secret` (HS256): for tests, scripts, and a login service written in Node. Any
 * JWT library that signs HS256 makes the same tokens.
 */
export function signAccessToken(claims: Readonly<Record<string, unknown>>, secret: Uint8Array): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${signature}`
}

/** A claim's time (seconds since 1970) as ISO 8601, or as given when no Date can hold it. */
function instant(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? `${seconds} (seconds since 1970)` : date.toISOString()
}

/** A token part as a JSON object, or undefined. */
function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
