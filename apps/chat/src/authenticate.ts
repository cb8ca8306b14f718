/**
 * Who is at the other end of a request: the chat's hook for authentication, asked before a WebSocket is accepted and
 * before a room's history or presence is read. Without one, a WebSocket's user is the name in its URL, as anyone may
 * claim; with `CHAT_AUTH_SECRET`, it is the user an access token names (access-token.ts); code that embeds the chat
 * can pass its own (`runChatNode({ authenticate })`), as socket.io's middleware would.
 */
import type { IncomingMessage } from 'node:http'
import { verifyAccessToken } from './access-token.ts'
import { checkUserName } from './chat-protocol.ts'
import { checkRoomList } from './room-access.ts'

/**
 * Who made a request, which rooms they may be in (room-access.ts: names, or prefixes ending in `*`; absent, every
 * room) and until when (`expiresAt`, ms since 1970: a WebSocket still open then is closed with 4401; absent, for as
 * long as it stays open); or why it was refused (the client gets 401 with this reason).
 */
export type Authentication =
  | { readonly user: string; readonly rooms?: readonly string[]; readonly expiresAt?: number }
  | { readonly refused: string }

/** Decides who made `request` (`url` is its URL, parsed). May be async; a throw is answered 500 and logged. */
export type ChatAuthenticator = (request: IncomingMessage, url: URL) => Authentication | PromiseLike<Authentication>

/**
 * Why an accepted access no longer holds at `nowMs` (its `expiresAt` has passed), as a 401's reason; undefined while
 * it holds. Throws a TypeError for an `expiresAt` that is not a time: the authenticator's mistake, answered 500.
 */
function accessEnded(auth: { readonly expiresAt?: number }, nowMs: number): string | undefined {
  const { expiresAt } = auth
  if (expiresAt === undefined) return undefined
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new TypeError(`the authenticator answered an expiresAt that is not a time in ms: ${String(expiresAt)}`)
  }
  if (expiresAt > nowMs) return undefined
  const date = new Date(expiresAt)
  // A time no Date can hold (before 271821 BC) is told as given, not thrown.
  return `the access expired at ${Number.isNaN(date.getTime()) ? `${expiresAt} ms since 1970` : date.toISOString()}`
}

/** What an accepted answer allows: the user (trimmed, as the chat shows it), the rooms, until when. */
export interface Access {
  readonly user: string
  readonly rooms?: readonly string[] | undefined
  readonly expiresAt?: number | undefined
}

/**
 * Reads an authenticator's answer at `nowMs`, the same way for a WebSocket and an HTTP request: the access it grants,
 * or why it was refused (its own reason, or an access that has ended), a 401's reason. Throws a TypeError for an
 * answer the chat cannot use (a user it cannot show, rooms that are not room names or prefixes, an `expiresAt` that
 * is not a time): the authenticator's mistake, answered 500 and logged, never blamed on the client.
 */
export function readAuthentication(auth: Authentication, nowMs: number): Access | { readonly refused: string } {
  if (isRefusedAuthentication(auth)) return auth
  const badUser = checkUserName(auth.user)
  if (badUser !== undefined) throw new TypeError(`the authenticator answered a user the chat cannot show: ${badUser}`)
  const badRooms = auth.rooms === undefined ? undefined : checkRoomList(auth.rooms)
  if (badRooms !== undefined) throw new TypeError(`the authenticator answered rooms the chat cannot use: ${badRooms}`)
  const ended = accessEnded(auth, nowMs)
  if (ended !== undefined) return { refused: ended }
  return { user: auth.user.trim(), rooms: auth.rooms, expiresAt: auth.expiresAt }
}

/** True when `auth` refused. */
function isRefusedAuthentication(auth: Authentication): auth is { readonly refused: string } {
  return 'refused' in auth
}

/**
 * A request's access token: `Authorization: Bearer <token>`, else the `token` query parameter (browsers cannot set
 * headers on a WebSocket).
 */
export function requestToken(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization
  if (header !== undefined) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (bearer !== null) return bearer[1]
  }
  const query = url.searchParams.get('token')
  return query === null || query === '' ? undefined : query
}

/** The authenticator for access tokens signed with `secret`; `now` is the clock in ms. */
export function tokenAuthenticator(secret: Uint8Array, now: () => number = Date.now): ChatAuthenticator {
  return (request, url) => {
    const token = requestToken(request, url)
    if (token === undefined) return { refused: 'missing access token: send Authorization: Bearer <token> or add ?token=<token>' }
    return verifyAccessToken(token, secret, now())
  }
}
