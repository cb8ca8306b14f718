/**
 * Who is at the other end of a request: the chat's hook for authentication, asked before a WebSocket is accepted and
 * before a room's history or presence is read. Without one, a WebSocket's user is the name in its URL, as anyone may
 * claim; with `CHAT_AUTH_SECRET`, it is the user an access token names (access-token.ts); code that embeds the chat
 * can pass its own (`runChatNode({ authenticate })`), as socket.io's middleware would.
 */
import type { IncomingMessage } from 'node:http'
import { verifyAccessToken } from './access-token.ts'

/**
 * Who made a request, and which rooms they may be in (room-access.ts: names, or prefixes ending in `*`; absent, every
 * room); or why it was refused (the client gets 401 with this reason).
 */
export type Authentication = { readonly user: string; readonly rooms?: readonly string[] } | { readonly refused: string }

/** Decides who made `request` (`url` is its URL, parsed). May be async; a throw is answered 500 and logged. */
export type ChatAuthenticator = (request: IncomingMessage, url: URL) => Authentication | PromiseLike<Authentication>

/** True when `auth` refused. */
export function isRefusedAuthentication(auth: Authentication): auth is { readonly refused: string } {
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
