/**
 * The README's wire specification, checked against a real node: a client built from that text alone — a hand-written
 * msgpack encoder for plain maps, node:crypto's HMAC, and a bare WebSocket — completes a handshake, and a wrong cookie
 * is refused before the node reveals any proof. Nothing from this package's handshake code is used here.
 */
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Unpackr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { testNode, track } from './test-support/nodes.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The protocol version the README documents, from its "## Protocol (version N)" heading. */
const version = Number(/^## Protocol \(version (\d+)\)/m.exec(readme)?.[1])

/** A minimal msgpack encoder: maps with string keys; strings, non-negative integers, booleans and bytes. */
function msgpackMap(fields: Record<string, string | number | boolean | Uint8Array>): Buffer {
  const out: Buffer[] = []
  const entries = Object.entries(fields)
  out.push(Buffer.from([0x80 | entries.length]))
  const str = (s: string): void => {
    const b = Buffer.from(s, 'utf8')
    out.push(b.length < 32 ? Buffer.from([0xa0 | b.length]) : Buffer.from([0xd9, b.length]), b)
  }
  for (const [key, value] of entries) {
    str(key)
    if (typeof value === 'string') str(value)
    else if (typeof value === 'boolean') out.push(Buffer.from([value ? 0xc3 : 0xc2]))
    else if (typeof value === 'number') {
      const b = Buffer.alloc(5)
      b[0] = 0xce
      b.writeUInt32BE(value, 1)
      out.push(b)
    } else out.push(Buffer.from([0xc4, value.length]), Buffer.from(value))
  }
  return Buffer.concat(out)
}

/** HMAC-SHA256 over length-prefixed parts (4 bytes, big-endian), as the README says. */
function proof(cookie: string, label: string, parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', cookie)
  for (const part of [Buffer.from(label), ...parts]) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(part.length)
    h.update(len)
    h.update(part)
  }
  return h.digest()
}

// Any standard msgpack decoder: the README says the node's handshake messages are plain maps.
const decode = (data: Buffer): Map<string, unknown> => new Unpackr({ mapsAsObjects: false, useRecords: false }).unpack(data) as Map<string, unknown>

async function open(url: string): Promise<{ ws: WebSocket; next: () => Promise<Buffer>; closed: Promise<number> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  track({ close: async () => ws.terminate() })
  ws.on('error', () => undefined)
  const queue: Buffer[] = []
  const waiting: Array<(b: Buffer) => void> = []
  ws.on('message', (d) => {
    const w = waiting.shift()
    if (w !== undefined) w(d as Buffer)
    else queue.push(d as Buffer)
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const next = (): Promise<Buffer> => {
    const b = queue.shift()
    return b !== undefined ? Promise.resolve(b) : new Promise((resolve) => waiting.push(resolve))
  }
  return { ws, next, closed }
}

describe('the README wire specification', () => {
  it('documents the proof labels of the version it names, and the tickMs each side announces', () => {
    expect(version).toBeGreaterThan(0)
    expect(readme).toMatch(/`hello` \| `type: "hello"`, `version` \(\d+\), `name`, `creation`, `url`, `hidden`, `tickMs`, `nonce`/)
    expect(readme).toContain(`"cohort/${version}/client"`)
    expect(readme).toContain(`"cohort/${version}/server"`)
  })

  it('is enough to complete a handshake with a node, dialler proving first', async () => {
    const a = await testNode('a', { cookie: 'the-shared-cookie' })
    const { ws, next } = await open(a.node.url)
    const nc = Buffer.alloc(32, 1)
    const me = 'spec@127.0.0.1'
    ws.send(msgpackMap({ type: 'hello', version, name: me, creation: 7, url: 'ws://127.0.0.1:1', hidden: true, tickMs: 20_000, nonce: nc }))
    const challenge = decode(await next())
    expect(challenge.get('type')).toBe('challenge')
    expect(challenge.get('name')).toBe(a.node.name)
    // The listener announces its own tick, as the hello did.
    expect(challenge.get('tickMs')).toEqual(expect.any(Number))
    // The listener proves nothing before the dialler has.
    expect(challenge.has('proof')).toBe(false)
    const ns = challenge.get('nonce') as Uint8Array
    const names = [Buffer.from(me), Buffer.from(a.node.name)]
    ws.send(msgpackMap({ type: 'response', proof: proof('the-shared-cookie', `cohort/${version}/client`, [nc, ns, ...names]) }))
    const accept = decode(await next())
    expect(accept.get('type')).toBe('accept')
    expect(Buffer.from(accept.get('proof') as Uint8Array)).toEqual(proof('the-shared-cookie', `cohort/${version}/server`, [nc, ns, ...names]))
    expect(a.node.hiddenNodes()).toEqual([me])
    expect(a.node.stats().peers.find((p) => p.node === me)?.tickMs).toBe(20_000)
  })

  it('is refused with 4001 for a wrong cookie, and the node never sends a proof', async () => {
    const a = await testNode('a', { cookie: 'the-shared-cookie' })
    const { ws, next, closed } = await open(a.node.url)
    const nc = Buffer.alloc(32, 2)
    ws.send(msgpackMap({ type: 'hello', version, name: 'guess@127.0.0.1', creation: 1, url: 'ws://127.0.0.1:1', hidden: false, tickMs: 15_000, nonce: nc }))
    const challenge = decode(await next())
    const ns = challenge.get('nonce') as Uint8Array
    ws.send(msgpackMap({ type: 'response', proof: proof('a-guess', `cohort/${version}/client`, [nc, ns, Buffer.from('guess@127.0.0.1'), Buffer.from(a.node.name)]) }))
    expect(await closed).toBe(4001)
  })
})
