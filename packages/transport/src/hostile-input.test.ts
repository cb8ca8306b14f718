/** Hostile input against a real node on loopback: each case closes only that connection, with its code and a log line. */
import { createMessageCodec, Pid } from '@cohort/core'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './wire/close-codes.ts'
import { CONTROL_CODES } from './wire/control-validation.ts'
import { attachedEntry } from './wire/attachments.ts'
import { frameBytesOf, writeFrame } from './wire/wire-codec.ts'
import type { FrameEntry } from './wire/wire-codec.ts'
import { echo, logged, nextEvent, testNode, until } from './test-support/nodes.ts'
import type { TestNode } from './test-support/nodes.ts'
import { rawPeer } from './test-support/raw-peer.ts'

/** Two healthy nodes (a, b) plus the node under attack (a); checks a still serves b afterwards. */
async function cluster(options = {}) {
  const a = await testNode('a', options)
  const b = await testNode('b')
  const pid = a.node.system.spawn(echo)
  await b.node.connect({ name: a.node.name, url: a.node.url })
  const stillServing = async (): Promise<void> => {
    expect(await b.node.system.call(pid, 'still here')).toBe('still here')
    expect(a.node.nodes()).toEqual([b.node.name])
  }
  return { a, b, stillServing }
}

function badInputLogged(a: TestNode, code: number): void {
  const lines = logged(a.log, 'connection closed for bad input').filter((r) => r['closeCode'] === code)
  expect(lines.length).toBeGreaterThan(0)
  expect(typeof lines[0]?.['reason']).toBe('string')
}

const cookie = 'test-cookie'

describe('hostile input', () => {
  it('closes only the offending connection on garbage bytes (4006)', async () => {
    const { a, stillServing } = await cluster()
    const peer = await rawPeer(a.node.url, { cookie })
    peer.sendRaw(Buffer.from([0, 0, 0, 4, 0xc1, 0xff, 0x00, 0x13]))
    expect((await peer.closed).code).toBe(CLOSE_CODES.malformed)
    badInputLogged(a, CLOSE_CODES.malformed)
    await stillServing()
  })

  it('closes on truncated msgpack (4006)', async () => {
    const { a, stillServing } = await cluster()
    const peer = await rawPeer(a.node.url, { cookie })
    const whole = pack({ type: 'sendName', name: 'x', from: undefined, msg: 'some text here' })
    const cut = whole.subarray(0, whole.length - 4)
    const framed = Buffer.concat([Buffer.from([0, 0, 0, cut.length]), cut])
    peer.sendRaw(framed)
    expect((await peer.closed).code).toBe(CLOSE_CODES.malformed)
    await stillServing()
  })

  it('closes on a valid frame with an unknown control code (4007)', async () => {
    const { a, stillServing } = await cluster()
    const peer = await rawPeer(a.node.url, { cookie })
    peer.sendFrame([77, 'format-disk', '/']) // a well-formed entry with a control code nobody defined
    expect((await peer.closed).code).toBe(CLOSE_CODES.unknownControl)
    badInputLogged(a, CLOSE_CODES.unknownControl)
    await stillServing()
  })

  it('closes on a call or a reply with fields that are not ids (4007), and dead-letters a reply for no call', async () => {
    const { a, stillServing } = await cluster()
    const stray = await rawPeer(a.node.url, { cookie, name: 'stray@127.0.0.1' })
    const deadBefore = a.node.system.stats().deadLetters
    // Well-formed replies for a port that does not exist (alone, and in a batch) are dead letters, not errors.
    stray.sendFrame([CONTROL_CODES.reply, 999_999, 1, a.node.system.creation, true, 'late'])
    stray.sendFrame([CONTROL_CODES.batch, [[CONTROL_CODES.reply, 999_999, 2, a.node.system.creation, false, 'late']]])
    await until(() => a.node.system.stats().deadLetters === deadBefore + 2, 'two dead letters')
    const bad = [
      [CONTROL_CODES.reply, 'port', 1, 1, true, 'v'],
      [CONTROL_CODES.batch, [[CONTROL_CODES.reply, 1, 1, 1, 'yes', 'v']]],
      [CONTROL_CODES.call, 1, 1, -2, 3, 1, 'request'],
    ]
    for (const [i, entry] of bad.entries()) {
      const peer = await rawPeer(a.node.url, { cookie, name: `bad${i}@127.0.0.1` })
      peer.sendFrame(entry)
      expect((await peer.closed).code).toBe(CLOSE_CODES.unknownControl)
    }
    badInputLogged(a, CLOSE_CODES.unknownControl)
    expect(a.node.nodes()).toContain('stray@127.0.0.1')
    const strayDown = nextEvent(a.node, 'nodedown', (name) => name === 'stray@127.0.0.1')
    stray.ws.close()
    await strayDown
    await stillServing()
  })

  it('closes on a Pid extension with wrong fields (4006)', async () => {
    const { a, stillServing } = await cluster()
    const peer = await rawPeer(a.node.url, { cookie })
    const payload = pack(['no-id'])
    const ext = Buffer.concat([Buffer.from([0xc7, payload.length, 0x50]), payload])
    const entry = Buffer.concat([Buffer.from([0x82, 0xa4]), Buffer.from('type'), Buffer.from([0xa4]), Buffer.from('send'), Buffer.from([0xa2]), Buffer.from('to'), ext])
    peer.sendRaw(Buffer.concat([Buffer.from([0, 0, 0, entry.length]), entry]))
    expect((await peer.closed).code).toBe(CLOSE_CODES.malformed)
    await stillServing()
  })

  it('closes on a message over maxMessageBytes, whole or fragmented (4008)', async () => {
    const { a, stillServing } = await cluster({ maxMessageBytes: 4096 })
    const peer = await rawPeer(a.node.url, { cookie })
    peer.sendFrame({ type: 'send', to: new Pid(a.node.name, 1, a.node.system.creation), from: undefined, msg: Buffer.alloc(8000) })
    expect((await peer.closed).code).toBe(CLOSE_CODES.messageTooLarge)
    const peer2 = await rawPeer(a.node.url, { cookie })
    peer2.sendFrame({ type: 'fragment', id: 0, total: 1 << 30, length: 100 })
    expect((await peer2.closed).code).toBe(CLOSE_CODES.messageTooLarge)
    badInputLogged(a, CLOSE_CODES.messageTooLarge)
    await stillServing()
  })

  it('closes on attachments that do not match their head, or a head with entries after it (4006, 4007, 4008)', async () => {
    const { a, stillServing } = await cluster({ maxMessageBytes: 64 * 1024 })
    const to = new Pid(a.node.name, 1, a.node.system.creation)
    const codec = createMessageCodec()
    const attached = (size: number) => {
      const encoded = codec.encodeAttached([CONTROL_CODES.send, to, null, { data: Buffer.alloc(size, 7) }], 16_384, 1 << 20)
      return attachedEntry(encoded!.bytes, encoded!.attachments)
    }
    const frameOf = (...entries: FrameEntry[]) => writeFrame(entries, entries.length, entries.reduce((n, e) => n + frameBytesOf(e), 0))
    // An attachment shorter than its head announced.
    const short = await rawPeer(a.node.url, { cookie })
    short.sendRaw(frameOf(attached(20_000)))
    short.sendRaw(Buffer.alloc(19_999))
    expect((await short.closed).code).toBe(CLOSE_CODES.malformed)
    // An entry after the head in its frame (other than another head) would overtake the attached message.
    const after = await rawPeer(a.node.url, { cookie })
    after.sendRaw(frameOf(attached(20_000), codec.encode([CONTROL_CODES.tick])))
    expect((await after.closed).code).toBe(CLOSE_CODES.unknownControl)
    // Attachments adding up to more than maxMessageBytes: refused at the head, before any is read.
    const large = await rawPeer(a.node.url, { cookie })
    large.sendRaw(frameOf(attached(100_000)))
    expect((await large.closed).code).toBe(CLOSE_CODES.messageTooLarge)
    // A placeholder in an ordinary entry has no attachment to stand for.
    const stray = await rawPeer(a.node.url, { cookie })
    stray.sendRaw(frameOf(codec.encodeAttached([CONTROL_CODES.send, to, null, Buffer.alloc(20_000)], 16_384, 1 << 20)!.bytes))
    expect((await stray.closed).code).toBe(CLOSE_CODES.malformed)
    // A head whose lengths are not positive integers.
    const bad = await rawPeer(a.node.url, { cookie })
    bad.sendFrame([CONTROL_CODES.attached, Buffer.from([0x90]), [0]])
    expect((await bad.closed).code).toBe(CLOSE_CODES.unknownControl)
    badInputLogged(a, CLOSE_CODES.malformed)
    badInputLogged(a, CLOSE_CODES.unknownControl)
    badInputLogged(a, CLOSE_CODES.messageTooLarge)
    await stillServing()
  })

  it('closes on a text frame (4009), before or after the handshake', async () => {
    const { a, stillServing } = await cluster()
    const peer = await rawPeer(a.node.url, { cookie })
    peer.sendRaw('{"type":"send"}', false)
    expect((await peer.closed).code).toBe(CLOSE_CODES.textFrame)
    const early = await rawPeer(a.node.url)
    early.sendRaw('hello', false)
    expect((await early.closed).code).toBe(CLOSE_CODES.textFrame)
    await stillServing()
  })

  it('closes a handshake that never finishes (4002)', async () => {
    const { a, stillServing } = await cluster({ handshakeTimeoutMs: 200 })
    const peer = await rawPeer(a.node.url)
    expect((await peer.closed).code).toBe(CLOSE_CODES.handshakeTimeout)
    expect(a.node.stats().pendingHandshakes).toBe(0)
    await stillServing()
  })

  it('drops a socket that never finishes its upgrade request', async () => {
    const { a, stillServing } = await cluster({ handshakeTimeoutMs: 300 })
    const { connect } = await import('node:net')
    const socket = connect(a.node.port, '127.0.0.1')
    await new Promise<void>((r) => socket.once('connect', () => r()))
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n')
    socket.on('data', () => undefined)
    await new Promise<void>((r) => socket.once('close', () => r()))
    await stillServing()
  })

  it('does not let an unauthenticated socket claiming a name delay a connect to that node', async () => {
    const a = await testNode('a', { handshakeTimeoutMs: 30_000 })
    const b = await testNode('b')
    const impostor = await rawPeer(a.node.url)
    const { ClientHandshake } = await import('./connection/handshake.ts')
    const { encodeHandshake } = await import('./wire/handshake-codec.ts')
    const hs = new ClientHandshake({ name: b.node.name, creation: 1, url: b.node.url, hidden: false, cookie: 'wrong' }, undefined)
    const challenged = new Promise((r) => impostor.ws.once('message', r))
    impostor.ws.send(encodeHandshake(hs.hello()))
    await challenged
    expect(a.node.stats().pendingHandshakes).toBe(1)
    await a.node.connect({ name: b.node.name, url: b.node.url })
    expect(a.node.nodes()).toEqual([b.node.name])
    impostor.ws.send(encodeHandshake({ type: 'response', proof: new Uint8Array(32) }))
    expect((await impostor.closed).code).toBe(CLOSE_CODES.handshakeFailed)
    expect(a.node.nodes()).toEqual([b.node.name])
  })

  it('bounds a flood of connection attempts (4012, idle ones evicted first) and keeps serving', async () => {
    const { a, stillServing } = await cluster({ maxPendingHandshakes: 8, handshakeTimeoutMs: 400 })
    const flood = await Promise.all(Array.from({ length: 40 }, () => rawPeer(a.node.url)))
    expect(a.node.stats().pendingHandshakes).toBeLessThanOrEqual(8)
    await stillServing()
    const codes = await Promise.all(flood.map((p) => p.closed.then((c) => c.code)))
    expect(codes.filter((c) => c === CLOSE_CODES.tooManyConnections).length).toBeGreaterThanOrEqual(32)
    expect(codes.every((c) => c === CLOSE_CODES.tooManyConnections || c === CLOSE_CODES.handshakeTimeout)).toBe(true)
    expect(logged(a.log, 'pending handshake evicted').length).toBeGreaterThan(0)
  })

  it('refuses a wrong cookie on both sides, naming the address and never the cookie', async () => {
    const a = await testNode('a', { cookie: 'alpha-cookie' })
    const b = await testNode('b', { cookie: 'bravo-cookie' })
    await expect(b.node.connect({ name: a.node.name, url: a.node.url })).rejects.toMatchObject({
      code: 'COHORT_ERR_HANDSHAKE_FAILED',
      closeCode: CLOSE_CODES.handshakeFailed,
    })
    // b (the dialler) proves first; a refuses its proof and reveals nothing; b then sees its peer refuse the cookie.
    await nextLog(b, 'handshake failed: peer refused our cookie proof')
    expect(logged(b.log, 'handshake failed: peer refused our cookie proof')[0]).toMatchObject({ peer: a.node.url, closeCode: 4001 })
    expect(logged(a.log, 'handshake failed: cookie not proven')[0]).toMatchObject({ closeCode: 4001 })
    // Each side says once, at error level, that the cookies differ and where to set them, blaming neither node.
    const cookieErrors = (n: TestNode) => n.log.records.filter((r) => String(r['msg']).startsWith('handshake failed: cookies differ'))
    await until(() => cookieErrors(a).length === 1, 'the cookie error on the dialled node')
    for (const n of [a, b]) {
      expect(cookieErrors(n)).toHaveLength(1)
      expect(cookieErrors(n)[0]).toMatchObject({ level: 50, closeCode: 4001, fix: expect.stringContaining('COHORT_COOKIE') })
      expect(n.node.stats().handshakeFailures.cookie).toBe(1)
    }
    // A second attempt counts again but is not logged again.
    await expect(b.node.connect({ name: a.node.name, url: a.node.url })).rejects.toThrow(/COHORT_COOKIE/)
    expect(b.node.stats().handshakeFailures.cookie).toBe(2)
    expect(cookieErrors(b)).toHaveLength(1)
    const all = JSON.stringify([...a.log.records, ...b.log.records])
    expect(all).not.toContain('alpha-cookie')
    expect(all).not.toContain('bravo-cookie')
    expect(a.node.nodes()).toEqual([])
    expect(b.node.nodes()).toEqual([])
    // A forged client that skips its own check is refused by the server.
    const forged = await rawPeer(a.node.url)
    const { ClientHandshake } = await import('./connection/handshake.ts')
    const { encodeHandshake } = await import('./wire/handshake-codec.ts')
    const hs = new ClientHandshake({ name: 'forger@127.0.0.1', creation: 1, url: 'ws://127.0.0.1:1', hidden: false, cookie: 'guess' }, undefined)
    forged.ws.send(encodeHandshake(hs.hello()))
    await new Promise((r) => forged.ws.once('message', r))
    forged.ws.send(encodeHandshake({ type: 'response', proof: new Uint8Array(32) }))
    expect((await forged.closed).code).toBe(CLOSE_CODES.handshakeFailed)
    expect(logged(a.log, 'handshake failed: cookie not proven').some((r) => String(r['peer']).startsWith('127.0.0.1:'))).toBe(true)
  })
})

async function nextLog(n: TestNode, msg: string): Promise<void> {
  await until(() => logged(n.log, msg).length > 0, `log line "${msg}"`)
}
void nextEvent
