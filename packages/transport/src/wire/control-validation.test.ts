/** Unit tests of validateControl: every control kind, wrong types, unknown types, bad extension payloads. */
import { createMessageCodec, Pid, Ref } from '@cohort/core'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { CLOSE_CODES } from './close-codes.ts'
import { CONTROL_CODES, toWire, validateControl } from './control-validation.ts'
import type { WireControl } from './transport-control.ts'
import { decodeEntry } from './wire-codec.ts'

const p = new Pid('a@h', 1, 1)
const q = new Pid('b@h', 2, 1)
const ref = new Ref('a@h', 5, 1)

function codeOf(value: unknown): number | undefined {
  try {
    validateControl(value)
    return undefined
  } catch (error) {
    return (error as { closeCode?: number }).closeCode
  }
}

describe('validateControl', () => {
  it('accepts every kind of control message with well-typed fields', () => {
    const valid = [
      { type: 'send', to: q, from: p, msg: { any: 'thing' } },
      { type: 'send', to: q, from: undefined, msg: 1 },
      { type: 'sendName', name: 'echo', from: undefined, msg: 1 },
      { type: 'link', from: p, to: q },
      { type: 'unlink', from: p, to: q },
      { type: 'exit', from: p, to: q, reason: 'normal', link: true },
      { type: 'monitor', from: p, to: 'echo', ref },
      { type: 'demonitor', from: p, to: q, ref },
      { type: 'down', from: q, to: p, ref, reason: 'noproc' },
      { type: 'spawnRequest', from: p, ref, behaviour: 'echo', args: [], link: false },
      { type: 'spawnReply', to: p, ref, pid: q, error: undefined },
      { type: 'tick' },
      { type: 'leaving' },
      { type: 'peers', peers: [{ name: 'c@h', url: 'ws://h:3' }] },
      { type: 'fragment', id: 0, total: 10, length: 5 },
    ]
    for (const m of valid) {
      const wire = toWire(m as WireControl)
      expect(codeOf(wire), m.type).toBeUndefined()
      // The positional form carries every field: decoding gives back the message.
      expect(validateControl(wire)).toEqual(m)
    }
  })

  it('refuses unknown types and fields of the wrong type with 4007', () => {
    const invalid = [
      null,
      'send',
      [],
      [99],
      { type: 'send', to: q, from: p, msg: 1 }, // the object form is not the wire form
      [CONTROL_CODES.send, 'not a pid', undefined, 1],
      [CONTROL_CODES.link, p, { node: 'b@h', id: 2, creation: 1 }],
      [CONTROL_CODES.exit, p, q, 'x', 'yes'],
      [CONTROL_CODES.monitor, p, q, 'r'],
      [CONTROL_CODES.peers, [{ name: 'bad', url: 'ws://h:1' }]],
      [CONTROL_CODES.fragment, -1, 10, 1],
      [CONTROL_CODES.fragment, 1, 10, 0],
      [CONTROL_CODES.fragment, 1, 10, new Uint8Array(1)], // version 3's inline chunk
    ]
    for (const m of invalid) expect(codeOf(m)).toBe(CLOSE_CODES.unknownControl)
  })

  it('turns a Pid extension with wrong fields into a malformed entry (4006)', () => {
    // 0x50 is core's Pid extension type; its payload should be [node, id, creation].
    const payload = pack(['x'])
    const ext = Buffer.concat([Buffer.from([0xc7, payload.length, 0x50]), payload])
    // [1 (send), <bad Pid>]
    const frame = Buffer.concat([Buffer.from([0x92, 0x01]), ext])
    expect(() => decodeEntry(createMessageCodec(), frame)).toThrow(expect.objectContaining({ closeCode: CLOSE_CODES.malformed }))
  })
})

describe('compact sends between the connection\'s two nodes', () => {
  const names = { local: 'a@h', peer: 'b@h' }
  const toPeer = new Pid('b@h', 7, 3)
  const fromLocal = new Pid('a@h', 9, 4)

  it('leave both node names off the wire and restore them on the other side', () => {
    const wire = toWire({ type: 'send', to: toPeer, from: fromLocal, msg: { x: 1 } }, names)
    expect(wire).toEqual([CONTROL_CODES.sendLocal, 7, 3, 9, 4, { x: 1 }])
    // The receiver's view: it is `b@h`, the sender is `a@h`.
    expect(validateControl(wire, { local: 'b@h', peer: 'a@h' })).toEqual({ type: 'send', to: toPeer, from: fromLocal, msg: { x: 1 } })
    const anonymous = toWire({ type: 'send', to: toPeer, from: undefined, msg: 2 }, names)
    expect(validateControl(anonymous, { local: 'b@h', peer: 'a@h' })).toEqual({ type: 'send', to: toPeer, from: undefined, msg: 2 })
  })

  it('keeps full pids for a send whose pids belong to other nodes', () => {
    const relayed = toWire({ type: 'send', to: toPeer, from: new Pid('c@h', 1, 1), msg: 3 }, names)
    expect(relayed[0]).toBe(CONTROL_CODES.send)
  })

  it('refuses a compact send before the names are known, or with ids that are not ids (4007)', () => {
    expect(codeOf([CONTROL_CODES.sendLocal, 7, 3, 9, 4, 'x'])).toBe(CLOSE_CODES.unknownControl)
    const named = (v: unknown): number | undefined => {
      try {
        validateControl(v, names)
        return undefined
      } catch (error) {
        return (error as { closeCode?: number }).closeCode
      }
    }
    expect(named([CONTROL_CODES.sendLocal, -1, 3, undefined, undefined, 'x'])).toBe(CLOSE_CODES.unknownControl)
    expect(named([CONTROL_CODES.sendLocal, 7, 3, 'nine', 4, 'x'])).toBe(CLOSE_CODES.unknownControl)
    expect(named([CONTROL_CODES.sendLocal, 7, 3, undefined, 4, 'x'])).toBe(CLOSE_CODES.unknownControl)
    expect(named([CONTROL_CODES.sendLocal, 7, 3, undefined, undefined, 'x'])).toBeUndefined()
  })
})

describe('compact calls and replies between the connection\'s two nodes', () => {
  const names = { local: 'a@h', peer: 'b@h' }
  const theirs = { local: 'b@h', peer: 'a@h' }
  const port = new Pid('a@h', 12, 4)
  const callRef = new Ref('a@h', 30, 4)
  const callee = new Pid('b@h', 7, 3)

  function codeWith(value: unknown): number | undefined {
    try {
      validateControl(value, theirs)
      return undefined
    } catch (error) {
      return (error as { closeCode?: number }).closeCode
    }
  }

  it('send a call to a pid or a name as ids, and restore the port and the ref on the other side', () => {
    const byPid: WireControl = { type: 'call', to: callee, port, ref: callRef, request: { q: 1 }, from: undefined }
    expect(toWire(byPid, names)).toEqual([CONTROL_CODES.call, 7, 3, 12, 30, 4, { q: 1 }])
    expect(validateControl(toWire(byPid, names), theirs)).toEqual(byPid)
    const byName: WireControl = { type: 'call', to: 'echo', port, ref: callRef, request: 2, from: undefined }
    expect(toWire(byName, names)).toEqual([CONTROL_CODES.call, 'echo', null, 12, 30, 4, 2])
    expect(validateControl(toWire(byName, names), theirs)).toEqual(byName)
  })

  it('send a reply as ids when its ref is the port\'s node\'s, and as a plain send otherwise', () => {
    // The callee's side: the port and the ref are the peer's.
    const reply: WireControl = { type: 'reply', to: port, ref: callRef, value: 'v', released: true, from: undefined }
    expect(toWire(reply, theirs)).toEqual([CONTROL_CODES.reply, 12, 30, 4, true, 'v'])
    expect(validateControl(toWire(reply, theirs), names)).toEqual(reply)
    const foreignRef = new Ref('c@h', 30, 4)
    const plain = toWire({ type: 'reply', to: port, ref: foreignRef, value: 'v', released: false, from: callee }, theirs)
    expect(validateControl(plain, names)).toEqual({ type: 'send', to: port, from: callee, msg: { $cohort: 'reply', ref: foreignRef, value: 'v' } })
  })

  it('refuses calls and replies with fields that are not ids, or before the names are known (4007)', () => {
    expect(codeWith([CONTROL_CODES.call, 7, 3, 12, 30, 4, 'r'])).toBeUndefined()
    expect(codeOf([CONTROL_CODES.call, 7, 3, 12, 30, 4, 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.call, 'echo', 3, 12, 30, 4, 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.call, { name: 'echo' }, null, 12, 30, 4, 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.call, 7, 3, -12, 30, 4, 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.call, 7, 3, 12, 1.5, 4, 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.call, 7, 3, 12, 30, 'four', 'r'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.reply, 12, 30, 4, true, 'v'])).toBeUndefined()
    expect(codeWith([CONTROL_CODES.reply, 12, 30, 4, 'yes', 'v'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeWith([CONTROL_CODES.reply, 'port', 30, 4, true, 'v'])).toBe(CLOSE_CODES.unknownControl)
    expect(codeOf([CONTROL_CODES.reply, 12, 30, 4, true, 'v'])).toBe(CLOSE_CODES.unknownControl)
  })

  it('will not send a call whose port is not this node\'s', () => {
    expect(() => toWire({ type: 'call', to: callee, port: new Pid('c@h', 1, 1), ref: callRef, request: 1, from: undefined }, names)).toThrow(/travels only/)
  })
})
