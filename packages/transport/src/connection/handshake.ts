/**
 * The handshake: a mutual challenge–response proving both nodes know the cookie, before anything else is read.
 * Pure state machines (one per role) over decoded handshake messages; `connection.ts` feeds them and sends what they
 * return. Four messages, client (the dialling side) first, and the client proves first:
 *
 *   client → server  hello      { type, version, name, creation, url, hidden, tickMs, nonce: Nc }
 *   server → client  challenge  { type, version, name, creation, url, hidden, tickMs, nonce: Ns }
 *   client → server  response   { type, proof: HMAC(cookie, "cohort/7/client", Nc, Ns, client, server) }
 *   server → client  accept     { type, proof: HMAC(cookie, "cohort/7/server", Nc, Ns, client, server) }   (or a close code)
 *
 * The listening side reveals nothing computed from the cookie until the dialler has proven it: anyone who can reach
 * the port could otherwise collect an HMAC over values they chose and guess the cookie offline. An attacker has to be
 * dialled (be in discovery's answer or a peer list) to get a proof to guess against. Each side checks the other's
 * proof with `crypto.timingSafeEqual`; the role label stops a reflected proof being replayed, and fresh nonces stop
 * an old one being replayed. Each side announces its `tickMs` so that two nodes with different settings (a rolling
 * change of the setting) agree on the larger (tick-agreement.ts); a peer that announces none is taken to use this
 * node's.
 * Gotchas: the cookie is never logged, sent, or put in an error message.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { CLOSE_CODES } from '../wire/close-codes.ts'
import { ProtocolError } from '../wire/protocol-error.ts'
import { isNodeName } from '@cohort/core'
import { isWebSocketUrl } from '../wire/transport-control.ts'
import { isAnnouncedTick } from './tick-agreement.ts'

/** The protocol version this implementation speaks. Peers must speak the same one. */
export const PROTOCOL_VERSION = 7
/** Bytes of each nonce. */
export const NONCE_BYTES = 32

/** The first message, from the dialling node. */
export interface HelloMessage {
  type: 'hello'
  version: number
  name: string
  creation: number
  url: string
  hidden: boolean
  /** The sender's `tickMs`. Absent from older peers. */
  tickMs?: number
  nonce: Uint8Array
}
/** The listening node's answer: its identity and its nonce (no proof yet: the dialler proves first). */
export interface ChallengeMessage {
  type: 'challenge'
  version: number
  name: string
  creation: number
  url: string
  hidden: boolean
  /** The sender's `tickMs`. Absent from older peers. */
  tickMs?: number
  nonce: Uint8Array
}
/** The dialling node's proof. */
export interface ResponseMessage {
  type: 'response'
  proof: Uint8Array
}
/** The listening node accepted the connection and proves it knows the cookie; control messages may flow. */
export interface AcceptMessage {
  type: 'accept'
  proof: Uint8Array
}
export type HandshakeMessage = HelloMessage | ChallengeMessage | ResponseMessage | AcceptMessage

/** What a handshake learnt about the peer. */
export interface PeerIdentity {
  readonly name: string
  readonly creation: number
  readonly url: string
  readonly hidden: boolean
  /** The `tickMs` the peer announced; undefined when it announced none. */
  readonly tickMs: number | undefined
}

/** This node's side of a handshake. */
export interface LocalIdentity {
  readonly name: string
  readonly creation: number
  readonly url: string
  readonly hidden: boolean
  /** This node's `tickMs`, announced to the peer. */
  readonly tickMs?: number
  readonly cookie: string
  /** Source of nonces. @default crypto.randomBytes */
  readonly nonce?: () => Uint8Array
}

function hmacProof(cookie: string, role: 'client' | 'server', nc: Uint8Array, ns: Uint8Array, client: string, server: string): Buffer {
  const h = createHmac('sha256', cookie)
  // Length-prefix every part so no two different tuples hash the same bytes.
  for (const part of [Buffer.from(proofLabel(role)), nc, ns, Buffer.from(client), Buffer.from(server)]) {
    const len = Buffer.allocUnsafe(4)
    len.writeUInt32BE(part.length)
    h.update(len)
    h.update(part)
  }
  return h.digest()
}

function proofMatches(expected: Buffer, got: Uint8Array): boolean {
  return got.length === expected.length && timingSafeEqual(expected, got)
}

function invalid(message: string): ProtocolError {
  return new ProtocolError(CLOSE_CODES.handshakeInvalid, message)
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length
}

function record(value: unknown, type: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== type) {
    throw invalid(`expected a ${type} handshake message`)
  }
  return value as Record<string, unknown>
}

/** The HMAC label of a role's proof: the protocol version is in it, so proofs of one version never pass for another. */
export function proofLabel(role: 'client' | 'server'): string {
  return `cohort/${PROTOCOL_VERSION}/${role}`
}

function checkIdentity(m: Record<string, unknown>, local: LocalIdentity): PeerIdentity {
  if (m['version'] !== PROTOCOL_VERSION) {
    throw new ProtocolError(CLOSE_CODES.versionMismatch, `peer speaks protocol version ${String(m['version'])}, this node ${PROTOCOL_VERSION}`)
  }
  const { name, creation, url, hidden } = m
  if (!isNodeName(name)) throw invalid('handshake names no valid node')
  if (name === local.name) throw invalid(`peer claims this node's own name ${name}`)
  if (typeof creation !== 'number' || !Number.isSafeInteger(creation) || creation < 0) throw invalid('handshake has no valid creation')
  if (!isWebSocketUrl(url)) throw invalid('handshake has no valid ws:// or wss:// url')
  if (typeof hidden !== 'boolean') throw invalid('handshake has no hidden flag')
  if (!isBytes(m['nonce'], NONCE_BYTES)) throw invalid(`handshake nonce is not ${NONCE_BYTES} bytes`)
  const tickMs = m['tickMs']
  if (tickMs !== undefined && !isAnnouncedTick(tickMs)) throw invalid('handshake announces no valid tickMs')
  return { name, creation, url, hidden, tickMs }
}

const defaultNonce = (): Uint8Array => randomBytes(NONCE_BYTES)

/** The dialling side: `hello()`, then `challenge(msg)` → response (its proof), then `accept(msg)` checks the server's. */
export class ClientHandshake {
  readonly #local: LocalIdentity
  readonly #expectedName: string | undefined
  readonly #nonce: Uint8Array
  #peer: PeerIdentity | undefined
  #peerNonce: Uint8Array | undefined
  #step: 'hello' | 'challenge' | 'accept' | 'done' = 'hello'

  /** @param expectedName the name the peer must have (when dialled by name); a different name fails */
  constructor(local: LocalIdentity, expectedName: string | undefined) {
    this.#local = local
    this.#expectedName = expectedName
    this.#nonce = (local.nonce ?? defaultNonce)()
  }

  hello(): HelloMessage {
    if (this.#step !== 'hello') throw invalid('hello sent twice')
    this.#step = 'challenge'
    const l = this.#local
    return { type: 'hello', version: PROTOCOL_VERSION, name: l.name, creation: l.creation, url: l.url, hidden: l.hidden, tickMs: l.tickMs, nonce: this.#nonce }
  }

  /** Checks the server's identity and answers with this node's proof. @throws ProtocolError (4003, 4004) */
  challenge(message: unknown): ResponseMessage {
    if (this.#step !== 'challenge') throw invalid('unexpected challenge')
    const m = record(message, 'challenge')
    const peer = checkIdentity(m, this.#local)
    if (this.#expectedName !== undefined && peer.name !== this.#expectedName) {
      throw invalid(`dialled ${this.#expectedName} but the peer is ${peer.name}`)
    }
    const ns = m['nonce'] as Uint8Array
    const l = this.#local
    this.#peer = peer
    this.#peerNonce = ns
    this.#step = 'accept'
    return { type: 'response', proof: hmacProof(l.cookie, 'client', this.#nonce, ns, l.name, peer.name) }
  }

  /** The server accepted: checks its proof and returns its identity. @throws ProtocolError (4001 on a wrong proof, 4004) */
  accept(message: unknown): PeerIdentity {
    if (this.#step !== 'accept' || this.#peer === undefined || this.#peerNonce === undefined) throw invalid('unexpected accept')
    const m = record(message, 'accept')
    const l = this.#local
    const proof = m['proof']
    if (!(proof instanceof Uint8Array) || !proofMatches(hmacProof(l.cookie, 'server', this.#nonce, this.#peerNonce, l.name, this.#peer.name), proof)) {
      throw new ProtocolError(CLOSE_CODES.handshakeFailed, 'peer could not prove it knows the cookie')
    }
    this.#step = 'done'
    return this.#peer
  }
}

/** The listening side: `hello(msg)` → challenge, then `response(msg)` → the peer's identity. */
export class ServerHandshake {
  readonly #local: LocalIdentity
  readonly #nonce: Uint8Array
  #peer: PeerIdentity | undefined
  #peerNonce: Uint8Array | undefined
  #step: 'hello' | 'response' | 'done' = 'hello'

  constructor(local: LocalIdentity) {
    this.#local = local
    this.#nonce = (local.nonce ?? defaultNonce)()
  }

  /** The peer's identity as claimed in its hello; proven only after `response`. */
  get claimedPeer(): PeerIdentity | undefined {
    return this.#peer
  }

  /** @throws ProtocolError (4003, 4004) */
  hello(message: unknown): ChallengeMessage {
    if (this.#step !== 'hello') throw invalid('unexpected hello')
    const m = record(message, 'hello')
    const peer = checkIdentity(m, this.#local)
    this.#peer = peer
    this.#peerNonce = m['nonce'] as Uint8Array
    this.#step = 'response'
    const l = this.#local
    return {
      type: 'challenge',
      version: PROTOCOL_VERSION,
      name: l.name,
      creation: l.creation,
      url: l.url,
      hidden: l.hidden,
      tickMs: l.tickMs,
      nonce: this.#nonce,
    }
  }

  /** Checks the client's proof. @throws ProtocolError (4001 on a wrong proof, 4004) */
  response(message: unknown): PeerIdentity {
    if (this.#step !== 'response' || this.#peer === undefined || this.#peerNonce === undefined) throw invalid('unexpected response')
    const m = record(message, 'response')
    const l = this.#local
    const proof = m['proof']
    const expected = hmacProof(l.cookie, 'client', this.#peerNonce, this.#nonce, this.#peer.name, l.name)
    if (!(proof instanceof Uint8Array) || !proofMatches(expected, proof)) {
      throw new ProtocolError(CLOSE_CODES.handshakeFailed, 'peer could not prove it knows the cookie')
    }
    this.#step = 'done'
    return this.#peer
  }

  /** The accept message, with this node's proof: sent only once the client proved itself and was admitted. */
  accept(): AcceptMessage {
    if (this.#step !== 'done' || this.#peer === undefined || this.#peerNonce === undefined) throw invalid('accept before the client proved itself')
    const l = this.#local
    return { type: 'accept', proof: hmacProof(l.cookie, 'server', this.#peerNonce, this.#nonce, this.#peer.name, l.name) }
  }
}
