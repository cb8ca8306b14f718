import { describe, expect, it } from 'vitest'
import { ackFrame, CHAT_LIMITS, checkRoomName, checkUserName, errorFrame, isRefused, parseClientFrame, refOfDropped, signalFrame } from './chat-protocol.ts'

describe('parseClientFrame', () => {
  it('accepts a say frame', () => {
    expect(parseClientFrame('{"type":"say","text":"hi <b>there</b>"}', false)).toEqual({ type: 'say', text: 'hi <b>there</b>' })
  })

  it.each([
    ['not json', 'COHORT_ERR_CHAT_MALFORMED_FRAME'],
    ['[1,2]', 'COHORT_ERR_CHAT_MALFORMED_FRAME'],
    ['{"type":"shout","text":"x"}', 'COHORT_ERR_CHAT_UNKNOWN_TYPE'],
    ['{"text":"x"}', 'COHORT_ERR_CHAT_UNKNOWN_TYPE'],
    ['{"type":"say","text":42}', 'COHORT_ERR_CHAT_MALFORMED_FRAME'],
    ['{"type":"say","text":"   "}', 'COHORT_ERR_CHAT_EMPTY_TEXT'],
  ])('refuses %s with %s and a reason', (frame, code) => {
    const parsed = parseClientFrame(frame, false)
    expect(isRefused(parsed) && parsed.code).toBe(code)
    expect(isRefused(parsed) && parsed.reason.length).toBeGreaterThan(5)
  })

  it('counts the text limit in UTF-8 bytes', () => {
    expect(isRefused(parseClientFrame(JSON.stringify({ type: 'say', text: 'a'.repeat(4096) }), false))).toBe(false)
    const wide = parseClientFrame(JSON.stringify({ type: 'say', text: 'é'.repeat(2049) }), false)
    expect(isRefused(wide) && wide.code).toBe('COHORT_ERR_CHAT_TEXT_TOO_LONG')
  })

  it('refuses a binary frame', () => {
    const parsed = parseClientFrame(Buffer.from('{"type":"say","text":"x"}'), true)
    expect(isRefused(parsed) && parsed.code).toBe('COHORT_ERR_CHAT_BINARY_FRAME')
  })
})

describe('rooms in frames', () => {
  it('reads join, leave, and a say that names its room', () => {
    expect(parseClientFrame('{"type":"join","room":"b"}', false)).toEqual({ type: 'join', room: 'b' })
    expect(parseClientFrame('{"type":"leave","room":"b","ref":3}', false)).toEqual({ type: 'leave', room: 'b', ref: 3 })
    expect(parseClientFrame('{"type":"say","text":"hi","room":"b"}', false)).toEqual({ type: 'say', text: 'hi', room: 'b' })
  })

  it.each([
    ['{"type":"join"}', '"join" needs a "room"'],
    ['{"type":"leave","room":""}', '"room" must be a room\'s name, got ""'],
    ['{"type":"join","room":5}', '"room" must be a room\'s name, got 5'],
    ['{"type":"join","room":"a:b"}', 'invalid room "a:b": use 1 to 64 letters, digits, "_", "." or "-"'],
    ['{"type":"say","text":"hi","room":"a b"}', 'invalid room "a b": use 1 to 64 letters, digits, "_", "." or "-"'],
  ])('refuses %s with COHORT_ERR_CHAT_INVALID_ROOM: %s', (frame, reason) => {
    expect(parseClientFrame(frame, false)).toEqual({ code: 'COHORT_ERR_CHAT_INVALID_ROOM', reason })
  })

  it('names every type a client may send when it gets another', () => {
    expect(parseClientFrame('{"type":"shout","ref":"r"}', false)).toEqual({
      code: 'COHORT_ERR_CHAT_UNKNOWN_TYPE',
      reason: 'unknown type "shout": a client sends "say", "join", "leave" or "signal"',
      ref: 'r',
    })
  })
})

describe('signals', () => {
  it('reads a signal with its name, data, room and ref, and builds the frame others get with the user the node knows', () => {
    expect(parseClientFrame('{"type":"signal","name":"typing"}', false)).toEqual({ type: 'signal', name: 'typing' })
    expect(parseClientFrame('{"type":"signal","name":"reaction.add","data":{"id":"m1","emoji":"👍"},"room":"b","ref":3,"user":"spoof"}', false)).toEqual({
      type: 'signal',
      name: 'reaction.add',
      data: { id: 'm1', emoji: '👍' },
      room: 'b',
      ref: 3,
    })
    expect(JSON.parse(signalFrame('b', 'ada', 'typing', undefined))).toEqual({ type: 'signal', room: 'b', user: 'ada', name: 'typing' })
    expect(JSON.parse(signalFrame('b', 'ada', 'reaction.add', { n: 1 }))).toEqual({ type: 'signal', room: 'b', user: 'ada', name: 'reaction.add', data: { n: 1 } })
  })

  it('refuses a bad name or data over the limit, naming the ref', () => {
    for (const name of [undefined, '', 'with space', 'x'.repeat(65), 7]) {
      expect(parseClientFrame(JSON.stringify({ type: 'signal', name, ref: 'r' }), false)).toMatchObject({ code: 'COHORT_ERR_CHAT_INVALID_SIGNAL', ref: 'r' })
    }
    const data = 'x'.repeat(CHAT_LIMITS.signalDataBytes)
    expect(parseClientFrame(JSON.stringify({ type: 'signal', name: 'big', data }), false)).toEqual({
      code: 'COHORT_ERR_CHAT_INVALID_SIGNAL',
      reason: '"data" is 1026 bytes of JSON; the limit is 1024',
    })
    expect(parseClientFrame(JSON.stringify({ type: 'signal', name: 'fits', data: data.slice(2) }), false)).toMatchObject({ type: 'signal' })
    expect(parseClientFrame('{"type":"signal","name":"typing","room":"a b"}', false)).toMatchObject({ code: 'COHORT_ERR_CHAT_INVALID_ROOM' })
  })
})

describe('refs', () => {
  it('carries a string or integer ref from the frame', () => {
    expect(parseClientFrame('{"type":"say","text":"hi","ref":"page-1"}', false)).toEqual({ type: 'say', text: 'hi', ref: 'page-1' })
    expect(parseClientFrame('{"type":"say","text":"hi","ref":0}', false)).toEqual({ type: 'say', text: 'hi', ref: 0 })
    expect(parseClientFrame(JSON.stringify({ type: 'say', text: 'hi', ref: 'r'.repeat(64) }), false)).toMatchObject({ ref: 'r'.repeat(64) })
  })

  it.each([['""'], ['"' + 'r'.repeat(65) + '"'], ['1.5'], ['9007199254740993'], ['null'], ['{"a":1}'], ['[1]'], ['true']])(
    'refuses the ref %s as malformed, saying what a ref may be',
    (ref) => {
      const parsed = parseClientFrame(`{"type":"say","text":"hi","ref":${ref}}`, false)
      expect(isRefused(parsed) && parsed.code).toBe('COHORT_ERR_CHAT_MALFORMED_FRAME')
      expect(isRefused(parsed) && parsed.reason).toMatch(/"ref" must be a string of 1 to 64 characters or an integer/)
      expect(isRefused(parsed) && parsed.ref).toBeUndefined()
    },
  )

  it('names the ref of every frame it refuses after reading the ref', () => {
    for (const frame of [
      { type: 'shout', text: 'x', ref: 7 },
      { type: 'say', text: 42, ref: 7 },
      { type: 'say', text: ' ', ref: 7 },
      { type: 'say', text: 'x'.repeat(4097), ref: 7 },
    ]) {
      const parsed = parseClientFrame(JSON.stringify(frame), false)
      expect(isRefused(parsed) && parsed.ref).toBe(7)
      expect(JSON.parse(errorFrame(parsed as never))).toMatchObject({ type: 'error', code: (parsed as { code: string }).code, ref: 7 })
    }
    expect(JSON.parse(errorFrame({ code: 'COHORT_ERR_CHAT_EMPTY_TEXT', reason: 'r' }))).not.toHaveProperty('ref')
  })

  it('finds the ref of a dropped frame, and none in a frame that has no valid one', () => {
    expect(refOfDropped('{"type":"say","text":"x","ref":"a"}', false)).toBe('a')
    expect(refOfDropped(Buffer.from('{"ref":3}'), false)).toBe(3)
    for (const data of ['{not json', 'null', '5', '{"ref":""}', '{"type":"say","text":"x"}']) expect(refOfDropped(data, false)).toBeUndefined()
    expect(refOfDropped(Buffer.from('{"ref":"a"}'), true)).toBeUndefined()
  })

  it('acks with the ref and the message id', () => {
    expect(JSON.parse(ackFrame('page-1', 'n@h~1~2'))).toEqual({ type: 'ack', ref: 'page-1', id: 'n@h~1~2' })
  })
})

describe('names', () => {
  it('accepts room names fit for a URL and refuses the rest, saying why', () => {
    expect(checkRoomName('lobby-1.x_y')).toBeUndefined()
    expect(checkRoomName(null)).toMatch(/missing/)
    expect(checkRoomName('a:b')).toMatch(/invalid room/)
    expect(checkRoomName('x'.repeat(65))).toMatch(/invalid room/)
  })

  it('accepts any printable user name, markup included, and refuses control characters', () => {
    expect(checkUserName('<img src=x onerror=alert(1)>')).toBeUndefined()
    expect(checkUserName('   ')).toBe('the user name is missing or blank')
    expect(checkUserName(undefined)).toBe('the user name is missing or blank')
    expect(checkUserName(5)).toBe('the user name must be a string, got number')
    expect(checkUserName('a\nb')).toMatch(/printable/)
  })
})
