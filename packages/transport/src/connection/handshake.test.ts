/** Unit tests of the handshake state machines, fed decoded messages: proofs, replays, versions, names, order. */
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from '../wire/close-codes.ts'
import { ClientHandshake, PROTOCOL_VERSION, ServerHandshake } from './handshake.ts'
import type { LocalIdentity } from './handshake.ts'
import { closeCodeOf } from '../test-support/close-code-of.ts'

const a: LocalIdentity = { name: 'a@h', creation: 1, url: 'ws://h:1', hidden: false, cookie: 'secret' }
const b: LocalIdentity = { name: 'b@h', creation: 2, url: 'ws://h:2', hidden: true, cookie: 'secret' }

describe('handshake', () => {
  it('authenticates both sides and exchanges identities', () => {
    const client = new ClientHandshake(a, 'b@h')
    const server = new ServerHandshake(b)
    const challenge = server.hello(client.hello())
    expect(challenge).toMatchObject({ type: 'challenge', version: PROTOCOL_VERSION, name: 'b@h', creation: 2, hidden: true })
    const response = client.challenge(challenge)
    expect(server.response(response)).toEqual({ name: 'a@h', creation: 1, url: 'ws://h:1', hidden: false })
    expect(client.accept(server.accept())).toEqual({ name: 'b@h', creation: 2, url: 'ws://h:2', hidden: true })
  })

  it('makes the dialler prove first: the listener reveals nothing computed from the cookie before that', () => {
    const server = new ServerHandshake(b)
    const challenge = server.hello(new ClientHandshake({ ...a, cookie: 'attacker guess' }, undefined).hello())
    // Only identity and a nonce: nothing an attacker could test cookie guesses against offline.
    expect(Object.keys(challenge).sort()).toEqual(['creation', 'hidden', 'name', 'nonce', 'tickMs', 'type', 'url', 'version'])
    expect(closeCodeOf(() => server.accept())).toBe(CLOSE_CODES.handshakeInvalid)
    expect(closeCodeOf(() => server.response({ type: 'response', proof: new Uint8Array(32) }))).toBe(CLOSE_CODES.handshakeFailed)
  })

  it('refuses a client with the wrong cookie on the server side, and a server with the wrong one on the client side', () => {
    const client = new ClientHandshake({ ...a, cookie: 'wrong' }, undefined)
    const server = new ServerHandshake(b)
    const response = client.challenge(server.hello(client.hello()))
    expect(closeCodeOf(() => server.response(response))).toBe(CLOSE_CODES.handshakeFailed)
    // A listener that does not know the cookie cannot forge the accept's proof.
    const c2 = new ClientHandshake(a, undefined)
    const s2 = new ServerHandshake({ ...b, cookie: 'wrong' })
    c2.challenge(s2.hello(c2.hello()))
    expect(closeCodeOf(() => c2.accept({ type: 'accept', proof: new Uint8Array(32) }))).toBe(CLOSE_CODES.handshakeFailed)
  })

  it('does not accept a proof replayed from another handshake', () => {
    const c1 = new ClientHandshake(a, undefined)
    const s1 = new ServerHandshake(b)
    const response = c1.challenge(s1.hello(c1.hello()))
    const c2 = new ClientHandshake(a, undefined)
    const s2 = new ServerHandshake(b)
    s2.hello(c2.hello())
    expect(closeCodeOf(() => s2.response(response))).toBe(CLOSE_CODES.handshakeFailed)
  })

  it('refuses another protocol version, an invalid name, our own name and a wrong peer', () => {
    const hello = new ClientHandshake(a, undefined).hello()
    expect(closeCodeOf(() => new ServerHandshake(b).hello({ ...hello, version: 99 }))).toBe(CLOSE_CODES.versionMismatch)
    expect(closeCodeOf(() => new ServerHandshake(b).hello({ ...hello, name: 'no at sign' }))).toBe(CLOSE_CODES.handshakeInvalid)
    expect(closeCodeOf(() => new ServerHandshake(b).hello({ ...hello, name: 'b@h' }))).toBe(CLOSE_CODES.handshakeInvalid)
    expect(closeCodeOf(() => new ServerHandshake(b).hello({ ...hello, nonce: new Uint8Array(3) }))).toBe(CLOSE_CODES.handshakeInvalid)
    expect(closeCodeOf(() => new ServerHandshake(b).hello({ ...hello, url: 'http://x' }))).toBe(CLOSE_CODES.handshakeInvalid)
    const client = new ClientHandshake(a, 'c@h')
    const challenge = new ServerHandshake(b).hello(client.hello())
    expect(closeCodeOf(() => client.challenge(challenge))).toBe(CLOSE_CODES.handshakeInvalid)
  })

  it('refuses messages out of order', () => {
    const server = new ServerHandshake(b)
    expect(closeCodeOf(() => server.response({ type: 'response', proof: new Uint8Array(32) }))).toBe(CLOSE_CODES.handshakeInvalid)
    const client = new ClientHandshake(a, undefined)
    expect(closeCodeOf(() => client.accept({ type: 'accept', proof: new Uint8Array(32) }))).toBe(CLOSE_CODES.handshakeInvalid)
    expect(closeCodeOf(() => server.hello({ type: 'send' }))).toBe(CLOSE_CODES.handshakeInvalid)
  })
})
