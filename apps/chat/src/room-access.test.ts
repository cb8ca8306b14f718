import { describe, expect, it } from 'vitest'
import { checkRoomList, roomAllowed } from './room-access.ts'

describe('roomAllowed', () => {
  it('allows every room without a list, and with one only its rooms and the rooms under its prefixes', () => {
    expect(roomAllowed(undefined, 'anything')).toBe(true)
    const rooms = ['lobby', 'team-a.*']
    for (const room of ['lobby', 'team-a.', 'team-a.dev', 'team-a.dev.x']) expect(roomAllowed(rooms, room)).toBe(true)
    for (const room of ['lobby2', 'lobb', 'team-a', 'team-b.dev', 'xteam-a.dev']) expect(roomAllowed(rooms, room)).toBe(false)
    expect(roomAllowed(['*'], 'any.room')).toBe(true)
    expect(roomAllowed([], 'lobby')).toBe(false)
  })
})

describe('checkRoomList', () => {
  it('accepts room names and prefixes ending in *, and refuses anything else, saying what a list is', () => {
    for (const rooms of [[], ['lobby'], ['team.*', '*'], ['x'.repeat(64), `${'x'.repeat(64)}*`]]) expect(checkRoomList(rooms)).toBeUndefined()
    for (const rooms of ['lobby', null, [''], ['a:b'], ['a*b'], ['**'], [3], ['x'.repeat(66)]]) {
      expect(checkRoomList(rooms)).toBe('"rooms" must be an array of room names, or prefixes ending in "*"')
    }
  })
})
