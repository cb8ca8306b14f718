import { describe, expect, it } from 'vitest'
import { CatchUpRounds, MAX_OPEN_ROUNDS_PER_PEER, ROUND_WEIGHT, shareOf, splitShare } from './catch-up-rounds.ts'

describe('catch-up rounds', () => {
  it('splits a share into whole parts that add up to it', () => {
    const parts = splitShare({ round: 3, w: 10 }, 3)
    expect(parts).toEqual([{ round: 3, w: 4 }, { round: 3, w: 3 }, { round: 3, w: 3 }])
    // Down the deepest chain a catch-up makes (two answers a step), the shares stay whole and never reach zero.
    let w = ROUND_WEIGHT
    for (let depth = 0; depth < 40; depth++) {
      const [a, b] = splitShare({ round: 1, w }, 2)
      expect(a!.w + b!.w).toBe(w)
      expect(b!.w).toBeGreaterThan(0)
      w = b!.w
    }
  })

  it('completes a round once its whole weight is back, and only from the node it was started with', () => {
    const rounds = new CatchUpRounds()
    const share = rounds.start('b@h', 0)
    const [x, y] = splitShare(share, 2)
    expect(rounds.credit('c@h', x!)).toBe(false)
    expect(rounds.credit('b@h', x!)).toBe(false)
    expect(rounds.caughtUp()).toEqual([])
    expect(rounds.credit('b@h', y!)).toBe(true)
    expect(rounds.caughtUp()).toEqual(['b@h'])
    expect(rounds.openRounds).toBe(0)
    // A late share of the ended round changes nothing.
    expect(rounds.credit('b@h', y!)).toBe(false)
  })

  it('forgets a dropped peer: its open rounds and that it was caught up with', () => {
    const rounds = new CatchUpRounds()
    rounds.markCaughtUp('b@h')
    const share = rounds.start('b@h', 0)
    rounds.dropPeer('b@h')
    expect(rounds.caughtUp()).toEqual([])
    expect(rounds.credit('b@h', share)).toBe(false)
  })

  it('keeps at most MAX_OPEN_ROUNDS_PER_PEER open rounds with a peer that never answers, dropping the oldest', () => {
    const rounds = new CatchUpRounds()
    const first = rounds.start('b@h', 0)
    for (let i = 0; i < 10; i++) rounds.start('b@h', 0)
    rounds.start('c@h', 0)
    expect(rounds.openRounds).toBe(MAX_OPEN_ROUNDS_PER_PEER + 1)
    expect(rounds.credit('b@h', first)).toBe(false)
  })

  it('is busy with a peer while a round with it younger than maxAgeMs is open', () => {
    const rounds = new CatchUpRounds()
    expect(rounds.busyWith('b@h', 0, 100)).toBe(false)
    const share = rounds.start('b@h', 1_000)
    expect(rounds.busyWith('b@h', 1_099, 100)).toBe(true)
    expect(rounds.busyWith('c@h', 1_050, 100)).toBe(false)
    expect(rounds.busyWith('b@h', 1_100, 100)).toBe(false)
    rounds.credit('b@h', share)
    expect(rounds.busyWith('b@h', 1_050, 100)).toBe(false)
  })

  it('reads a share only from whole numbers within the round weight', () => {
    expect(shareOf({ round: 2, w: 5 })).toEqual({ round: 2, w: 5 })
    expect(shareOf({})).toBeUndefined()
    expect(shareOf({ round: 2, w: -1 })).toBeUndefined()
    expect(shareOf({ round: 2, w: ROUND_WEIGHT + 1 })).toBeUndefined()
    expect(shareOf({ round: '2', w: 5 })).toBeUndefined()
    expect(shareOf({ round: 2, w: 0.5 })).toBeUndefined()
  })
})
