/**
 * `POST /rooms/<room>/messages`: says a message in a room over HTTP, for what has no WebSocket (a bot, a deploy job,
 * a backend's notice), as socket.io's Redis emitter lets a process that is no socket.io server emit to a room. The
 * body is JSON, `{"text":"…","user":"…","ref":…}`: `user` names the sender when the node has no authenticator (with
 * one, the sender is the authenticated user and `user` is ignored), `ref` is optional and travels into history as a
 * client's does. Answered `201` with the message as said; each refusal has its status and a chat error code.
 *
 * Posts count against the connection's rate limit (`CHAT_MAX_MESSAGES_PER_SECOND`, bursts of `CHAT_MESSAGE_BURST`)
 * as a WebSocket's frames do, so a client cannot flood a room through keep-alive requests instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { isCohortError } from '@cohort/core'
import { readRequestBody } from '@cohort/discovery'
import { rateLimited } from './chat-protocol.ts'
import type { ChatErrorCode, MessageRef } from './chat-protocol.ts'
import type { ChatServices } from './chat-services.ts'
import { MessageRateLimit } from './message-rate-limit.ts'
import { ChatPostError, postMessage } from './say-message.ts'

/** The largest body a post may have: as a WebSocket frame (the text's own limit, 4 KiB of UTF-8, is checked after). */
export const MAX_POST_BYTES = 64 * 1024

/** The route's handler, one per node: it keeps each connection's rate limit. */
export class MessagePosts {
  readonly #services: ChatServices
  readonly #limits = new WeakMap<Socket, MessageRateLimit>()

  constructor(services: ChatServices) {
    this.#services = services
  }

  /** Answers one post to `room` (already checked); `user` is the authenticated user, or undefined without one. */
  async answer(req: IncomingMessage, res: ServerResponse, room: string, user: string | undefined): Promise<void> {
    const refuse = (status: number, code: ChatErrorCode, reason: string, headers: Record<string, string> = {}): void => {
      const body = JSON.stringify({ error: reason, code })
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers })
      res.end(body)
    }
    if (!this.#take(req.socket)) {
      this.#services.counters.framesRateLimited++
      const { maxMessagesPerSecond, messageBurst } = this.#services.options
      return refuse(429, 'COHORT_ERR_CHAT_RATE_LIMITED', rateLimited(maxMessagesPerSecond, messageBurst).reason, { 'retry-after': '1' })
    }
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return refuse(415, 'COHORT_ERR_CHAT_MALFORMED_FRAME', 'send the message as JSON, with content-type: application/json')
    }
    let body: Buffer
    try {
      body = await readRequestBody(req, MAX_POST_BYTES)
    } catch (err) {
      if (!isCohortError(err, 'COHORT_ERR_REQUEST_TOO_LARGE')) throw err
      // The rest of the body is unread: the connection cannot carry another request.
      return refuse(413, 'COHORT_ERR_CHAT_MALFORMED_FRAME', err.message, { connection: 'close' })
    }
    let value: unknown
    try {
      value = JSON.parse(body.toString('utf8'))
    } catch {
      return refuse(400, 'COHORT_ERR_CHAT_MALFORMED_FRAME', 'the body is not valid JSON')
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return refuse(400, 'COHORT_ERR_CHAT_MALFORMED_FRAME', 'expected a JSON object like {"text":"…","user":"…"}')
    }
    const { text, ref } = value as { text?: unknown; ref?: unknown }
    const sender = user ?? (value as { user?: unknown }).user
    if (sender === undefined) return refuse(400, 'COHORT_ERR_CHAT_INVALID_USER', '"user" is missing: name the sender, {"text":"…","user":"…"}')
    try {
      const message = await postMessage(this.#services, room, {
        user: sender as string,
        text: text as string,
        ...(ref === undefined ? {} : { ref: ref as MessageRef }),
      })
      const said = JSON.stringify(message)
      res.writeHead(201, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(said) })
      res.end(said)
    } catch (err) {
      if (!(err instanceof ChatPostError)) throw err
      refuse(err.code === 'COHORT_ERR_CHAT_ROOM_REFUSED' ? 503 : 400, err.code, err.message)
    }
  }

  /** Counts one post on `socket`'s connection; false past its rate limit. */
  #take(socket: Socket): boolean {
    const { maxMessagesPerSecond, messageBurst } = this.#services.options
    if (maxMessagesPerSecond <= 0) return true
    let limit = this.#limits.get(socket)
    if (limit === undefined) this.#limits.set(socket, (limit = new MessageRateLimit(maxMessagesPerSecond, messageBurst)))
    return limit.take()
  }
}
