/**
 * The chat's WebSocket protocol: what a browser may send (`say`, `join`, `leave`, `signal`), what the server sends
 * (`history`, `message`, `ack`, `presence`, `signal`, `error`, `reconnect`), and the checks on room names, user names, texts and refs. Pure
 * functions, shared by the session actor and the HTTP routes; the README documents every frame and every error code.
 *
 * A connection is in the room its URL names and in every room it joins since, as a socket.io socket is in its rooms;
 * a `say` names its room, or goes to the URL's.
 *
 * A frame may carry a `ref` the client chose: a said message carries it (in history too, so a client that lost its
 * connection can tell whether a message it sent was said), and the sender's node answers that frame exactly once while
 * the connection lasts, with an `ack` (naming the message's id, for a `say`) or an `error` naming the ref.
 *
 * Gotchas: a text's limit is counted in UTF-8 bytes, as the socket carries it, not in JavaScript characters.
 */

/** A message as every node stores it and every client receives it. */
export interface ChatMessage {
  readonly type: 'message'
  readonly room: string
  readonly user: string
  readonly text: string
  /** Milliseconds since the epoch, stamped by the node the sender is connected to. */
  readonly at: number
  /** Unique in the cluster: `<node>~<incarnation>~<sequence>`. */
  readonly id: string
  /** The node the sender is connected to. */
  readonly node: string
  /** The sender's `ref`, when its `say` had one. */
  readonly ref?: MessageRef
}

/** A client's name for one of its `say` frames: a string of 1 to `CHAT_LIMITS.refLength` characters, or an integer. */
export type MessageRef = string | number

/** What a client may send. */
export type ClientFrame =
  /** Says `text` in `room` (default: the room of the connection's URL). */
  | { type: 'say'; text: string; ref?: MessageRef; room?: string }
  /** Enters `room` on this connection too: its history and presence follow, then its messages. */
  | { type: 'join'; room: string; ref?: MessageRef }
  /** Leaves `room` on this connection: no more of its frames, and the user leaves its presence. */
  | { type: 'leave'; room: string; ref?: MessageRef }
  /**
   * Tells the room's other clients `name` (with `data`), live and kept nowhere: typing indicators, reactions, read
   * marks, as a socket.io event emitted to a room.
   */
  | { type: 'signal'; name: string; data?: unknown; room?: string; ref?: MessageRef }

/** The codes of `{"type":"error"}` frames; each names one thing the client did wrong. */
export type ChatErrorCode =
  | 'COHORT_ERR_CHAT_MALFORMED_FRAME'
  | 'COHORT_ERR_CHAT_UNKNOWN_TYPE'
  | 'COHORT_ERR_CHAT_TEXT_TOO_LONG'
  | 'COHORT_ERR_CHAT_EMPTY_TEXT'
  | 'COHORT_ERR_CHAT_BINARY_FRAME'
  | 'COHORT_ERR_CHAT_RATE_LIMITED'
  | 'COHORT_ERR_CHAT_INVALID_ROOM'
  | 'COHORT_ERR_CHAT_NOT_IN_ROOM'
  | 'COHORT_ERR_CHAT_TOO_MANY_ROOMS'
  | 'COHORT_ERR_CHAT_ROOM_REFUSED'
  | 'COHORT_ERR_CHAT_ROOM_FORBIDDEN'
  | 'COHORT_ERR_CHAT_INVALID_USER'
  | 'COHORT_ERR_CHAT_INVALID_SIGNAL'

/** The limits of the protocol. */
export const CHAT_LIMITS: Readonly<{
  textBytes: number
  refLength: number
  roomLength: number
  userLength: number
  historyLength: number
  historyChars: number
  signalNameLength: number
  signalDataBytes: number
}> =
  Object.freeze({
    /** 4 KiB: long enough for a pasted paragraph, short enough that one client cannot flood a room. */
    textBytes: 4096,
    /** A signal's name: `typing`, `reaction.add`. */
    signalNameLength: 64,
    /** A signal's `data` as JSON: 1 KiB, since every client of the room gets it and it is worth less than a message. */
    signalDataBytes: 1024,
    /** A ref is an idempotency key, not content: a UUID and a counter fit. */
    refLength: 64,
    roomLength: 64,
    userLength: 64,
    /** Messages kept per room, on every node. */
    historyLength: 100,
    /**
     * Characters of text and refs kept per room, on every node, besides `historyLength`: 100 messages of 327
     * characters on average. Every node keeps every room's history, so without it a client could make each of `CHAT_MAX_ROOMS`
     * rooms hold 100 texts of 4 KiB (420 KB of heap a room, measured; 4.2 GB for 10,000 rooms) on every node at once;
     * with it a room's history takes at most 83 KB (texts of two-byte characters; 45 KB with ASCII).
     */
    historyChars: 32_768,
  })

/** A client frame that was refused, with the error frame to answer. */
export interface RefusedFrame {
  readonly code: ChatErrorCode
  readonly reason: string
  /** The refused frame's `ref`, when it had a valid one. */
  readonly ref?: MessageRef
}

/** Parses one client frame; returns the frame or why it was refused. Never throws. */
export function parseClientFrame(data: string | Buffer, isBinary: boolean): ClientFrame | RefusedFrame {
  if (isBinary) return { code: 'COHORT_ERR_CHAT_BINARY_FRAME', reason: 'expected a text frame holding JSON, got a binary frame' }
  let value: unknown
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'))
  } catch {
    return { code: 'COHORT_ERR_CHAT_MALFORMED_FRAME', reason: 'the frame is not valid JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { code: 'COHORT_ERR_CHAT_MALFORMED_FRAME', reason: 'expected a JSON object like {"type":"say","text":"…"}' }
  }
  const ref = (value as { ref?: unknown }).ref
  if (ref !== undefined) {
    const bad = checkRef(ref)
    if (bad !== undefined) return { code: 'COHORT_ERR_CHAT_MALFORMED_FRAME', reason: bad }
  }
  const type = (value as { type?: unknown }).type
  if (type !== 'say' && type !== 'join' && type !== 'leave' && type !== 'signal') {
    return refusal('COHORT_ERR_CHAT_UNKNOWN_TYPE', `unknown type ${describe(type)}: a client sends "say", "join", "leave" or "signal"`, ref)
  }
  const room = (value as { room?: unknown }).room
  if (room === undefined && (type === 'join' || type === 'leave')) return refusal('COHORT_ERR_CHAT_INVALID_ROOM', `"${type}" needs a "room"`, ref)
  if (room !== undefined) {
    if (typeof room !== 'string' || room === '') return refusal('COHORT_ERR_CHAT_INVALID_ROOM', `"room" must be a room's name, got ${describe(room)}`, ref)
    const bad = checkRoomName(room)
    if (bad !== undefined) return refusal('COHORT_ERR_CHAT_INVALID_ROOM', bad, ref)
  }
  if (type === 'signal') return parseSignal(value as { name?: unknown; data?: unknown }, room as string | undefined, ref as MessageRef | undefined)
  if (type !== 'say') {
    const frame: { type: 'join' | 'leave'; room: string; ref?: MessageRef } = { type, room: room as string }
    if (ref !== undefined) frame.ref = ref as MessageRef
    return frame as ClientFrame
  }
  const text = (value as { text?: unknown }).text
  const badText = checkText(text)
  if (badText !== undefined) return refusal(badText.code, badText.reason, ref)
  const say: { type: 'say'; text: string; ref?: MessageRef; room?: string } = { type: 'say', text: text as string }
  if (ref !== undefined) say.ref = ref as MessageRef
  if (room !== undefined) say.room = room as string
  return say
}

/** The `signal` frame's own fields, checked: a name, and `data` of at most `CHAT_LIMITS.signalDataBytes` as JSON. */
function parseSignal(value: { name?: unknown; data?: unknown }, room: string | undefined, ref: MessageRef | undefined): ClientFrame | RefusedFrame {
  const { name, data } = value
  if (typeof name !== 'string' || name.length > CHAT_LIMITS.signalNameLength || !/^[A-Za-z0-9_.:-]+$/.test(name)) {
    return refusal('COHORT_ERR_CHAT_INVALID_SIGNAL', `"name" must be 1 to ${CHAT_LIMITS.signalNameLength} letters, digits, "_", ".", ":" or "-", got ${describe(name)}`, ref)
  }
  if (data !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(data), 'utf8')
    if (bytes > CHAT_LIMITS.signalDataBytes) {
      return refusal('COHORT_ERR_CHAT_INVALID_SIGNAL', `"data" is ${bytes} bytes of JSON; the limit is ${CHAT_LIMITS.signalDataBytes}`, ref)
    }
  }
  const signal: { type: 'signal'; name: string; data?: unknown; room?: string; ref?: MessageRef } = { type: 'signal', name }
  if (data !== undefined) signal.data = data
  if (room !== undefined) signal.room = room
  if (ref !== undefined) signal.ref = ref
  return signal
}

/** The `signal` frame the room's other clients get: the sender's user is the node's, never the client's claim. */
export function signalFrame(room: string, user: string, name: string, data: unknown): string {
  return data === undefined ? JSON.stringify({ type: 'signal', room, user, name }) : JSON.stringify({ type: 'signal', room, user, name, data })
}

/** Why `text` cannot be said (not a string, blank, over `CHAT_LIMITS.textBytes` of UTF-8), or undefined. */
export function checkText(text: unknown): RefusedFrame | undefined {
  if (typeof text !== 'string') return { code: 'COHORT_ERR_CHAT_MALFORMED_FRAME', reason: `"text" must be a string, got ${describe(text)}` }
  if (text.trim() === '') return { code: 'COHORT_ERR_CHAT_EMPTY_TEXT', reason: '"text" is empty' }
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > CHAT_LIMITS.textBytes) {
    return { code: 'COHORT_ERR_CHAT_TEXT_TOO_LONG', reason: `"text" is ${bytes} bytes; the limit is ${CHAT_LIMITS.textBytes} bytes of UTF-8` }
  }
  return undefined
}

/** A refusal, naming the frame's `ref` (already checked) when it had one. */
function refusal(code: ChatErrorCode, reason: string, ref: unknown): RefusedFrame {
  return ref === undefined ? { code, reason } : { code, reason, ref: ref as MessageRef }
}

/** Why `ref` is not a valid `ref`, or undefined when it is. */
export function checkRef(ref: unknown): string | undefined {
  if (Number.isSafeInteger(ref)) return undefined
  if (typeof ref === 'string' && ref.length >= 1 && ref.length <= CHAT_LIMITS.refLength) return undefined
  return `"ref" must be a string of 1 to ${CHAT_LIMITS.refLength} characters or an integer, got ${describe(ref)}`
}

/**
 * The `ref` of a client frame that was dropped unread (over the rate limit), or undefined when it has none or is not
 * a valid frame. Parses the frame only for that, at a cost bounded by the cut-off (session.ts): a connection that
 * drops ten bursts' worth in a row is closed, so it can have at most that many parsed between two refills.
 */
export function refOfDropped(data: string | Buffer, isBinary: boolean): MessageRef | undefined {
  if (isBinary) return undefined
  try {
    const ref = (JSON.parse(typeof data === 'string' ? data : data.toString('utf8')) as { ref?: unknown } | null)?.ref
    return ref !== undefined && checkRef(ref) === undefined ? (ref as MessageRef) : undefined
  } catch {
    return undefined
  }
}

/** Why frames past a connection's rate limit (message-rate-limit.ts) were dropped. */
export function rateLimited(perSecond: number, burst: number): RefusedFrame {
  return {
    code: 'COHORT_ERR_CHAT_RATE_LIMITED',
    reason: `sending too fast: a connection may send ${perSecond} messages a second, ${burst} at once; the messages over it were dropped`,
  }
}

/** True when `frame` was refused. */
export function isRefused(frame: ClientFrame | RefusedFrame): frame is RefusedFrame {
  return 'code' in frame
}

/** Why a room name is invalid, or undefined when it is valid. Room names appear in URLs and group names. */
export function checkRoomName(room: unknown): string | undefined {
  if (typeof room !== 'string' || room === '') return 'the room is missing: add ?room=<name>'
  if (room.length > CHAT_LIMITS.roomLength || !/^[A-Za-z0-9_.-]+$/.test(room)) {
    return `invalid room ${JSON.stringify(room.slice(0, 80))}: use 1 to ${CHAT_LIMITS.roomLength} letters, digits, "_", "." or "-"`
  }
  return undefined
}

/** Why a user name is invalid, or undefined. Any printable text is allowed (pages show it as text, never markup). */
export function checkUserName(user: unknown): string | undefined {
  // Neutral about where the name came from: a WebSocket's URL (&user=), a post's body or an access token's claim.
  if (user === undefined || (typeof user === 'string' && user.trim() === '')) return 'the user name is missing or blank'
  if (typeof user !== 'string') return `the user name must be a string, got ${typeof user}`
  // Control characters would let a name fake line breaks in logs and pages; everything printable is fine.
  if ([...user].length > CHAT_LIMITS.userLength || /\p{Cc}/u.test(user)) {
    return `invalid user name: use 1 to ${CHAT_LIMITS.userLength} printable characters`
  }
  return undefined
}

/** The `history` frame. */
export function historyFrame(room: string, messages: readonly ChatMessage[]): string {
  return JSON.stringify({ type: 'history', room, messages })
}

/** The `presence` frame. */
export function presenceFrame(room: string, users: readonly string[]): string {
  return JSON.stringify({ type: 'presence', room, users })
}

/** The `error` frame, naming the refused frame's `ref` when it had one. */
export function errorFrame(refused: RefusedFrame): string {
  if (refused.ref === undefined) return JSON.stringify({ type: 'error', code: refused.code, reason: refused.reason })
  return JSON.stringify({ type: 'error', code: refused.code, reason: refused.reason, ref: refused.ref })
}

/**
 * The `ack` frame: the frame named `ref` was done; for a `say`, said as the message `id` (its copy follows, on every
 * node), for a `join`, after the room's history and presence.
 */
export function ackFrame(ref: MessageRef, id?: string): string {
  return id === undefined ? JSON.stringify({ type: 'ack', ref }) : JSON.stringify({ type: 'ack', ref, id })
}

/** Why a frame that names a room this connection is not in was refused (COHORT_ERR_CHAT_NOT_IN_ROOM). */
export function notInRoom(room: string): string {
  return `this connection is not in room ${JSON.stringify(room)}: join it first`
}

/** The `reconnect` frame a node sends before it leaves: the page connects to one of `endpoints` (or its own origin). */
export function reconnectFrame(reason: string, endpoints: readonly string[]): string {
  return JSON.stringify({ type: 'reconnect', reason, endpoints })
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined (missing)'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}
