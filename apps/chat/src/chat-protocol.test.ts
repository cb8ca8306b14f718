import { describe, expect, it } from 'vitest'
import { checkRoomName, checkUserName, isRefused, parseClientFrame } from './chat-protocol.ts'

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

describe('names', () => {
  it('accepts room names fit for a URL and refuses the rest, saying why', () => {
    expect(checkRoomName('lobby-1.x_y')).toBeUndefined()
    expect(checkRoomName(null)).toMatch(/missing/)
    expect(checkRoomName('a:b')).toMatch(/invalid room/)
    expect(checkRoomName('x'.repeat(65))).toMatch(/invalid room/)
  })

  it('accepts any printable user name, markup included, and refuses control characters', () => {
    expect(checkUserName('<img src=x onerror=alert(1)>')).toBeUndefined()
    expect(checkUserName('   ')).toMatch(/missing/)
    expect(checkUserName('a\nb')).toMatch(/printable/)
  })
})
