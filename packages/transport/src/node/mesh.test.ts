/** Unit tests of the tie rule, the admission decision and peer lists. */
import { describe, expect, it } from 'vitest'
import { decideAdmission, openerWins, peerListFor } from './mesh.ts'

describe('mesh', () => {
  it('agrees on both sides which of two simultaneous connections wins', () => {
    expect(openerWins('a@h', 'b@h')).toBe(true)
    expect(openerWins('b@h', 'a@h')).toBe(false)
  })

  it('lists every visible peer but the receiver, sorted', () => {
    const peers = [
      { name: 'c@h', url: 'ws://h:3' },
      { name: 'a@h', url: 'ws://h:1' },
      { name: 'b@h', url: 'ws://h:2' },
    ]
    expect(peerListFor('b@h', peers)).toEqual([
      { name: 'a@h', url: 'ws://h:1' },
      { name: 'c@h', url: 'ws://h:3' },
    ])
  })

  describe('decideAdmission', () => {
    const base = { localName: 'b@h', peerName: 'a@h', peerCreation: 2, role: 'server' as const, liveCreation: undefined, dialling: false }

    it('accepts a first connection', () => {
      expect(decideAdmission(base)).toEqual({ refuse: false, replaceLive: false, dropDial: false })
    })

    it('refuses a second connection from the same incarnation', () => {
      expect(decideAdmission({ ...base, liveCreation: 2 }).refuse).toBe(true)
    })

    it('replaces the connection of an older incarnation', () => {
      expect(decideAdmission({ ...base, liveCreation: 1 })).toEqual({ refuse: false, replaceLive: true, dropDial: false })
    })

    it('resolves a simultaneous connect the same way on both ends', () => {
      // b listens to a's dial while dialling a: a is smaller, a's connection wins, b drops its dial.
      expect(decideAdmission({ ...base, dialling: true })).toEqual({ refuse: false, replaceLive: false, dropDial: true })
      // a listens to b's dial while dialling b: a's own dial wins, b's connection is refused.
      expect(decideAdmission({ ...base, localName: 'a@h', peerName: 'b@h', dialling: true }).refuse).toBe(true)
    })

    it('leaves the tie to the listening side', () => {
      expect(decideAdmission({ ...base, role: 'client', dialling: true }).refuse).toBe(false)
    })
  })
})
