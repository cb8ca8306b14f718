import { describe, expect, it } from 'vitest'
import { literalPrefix, matchesGlob } from './glob-pattern.ts'

describe('matchesGlob', () => {
  it('matches as Redis globs do', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*', '', true],
      ['*', 'anything', true],
      ['user:*', 'user:1', true],
      ['user:*', 'users', false],
      ['h?llo', 'hello', true],
      ['h?llo', 'hllo', false],
      ['h[ae]llo', 'hallo', true],
      ['h[ae]llo', 'hillo', false],
      ['h[^e]llo', 'hallo', true],
      ['h[^e]llo', 'hello', false],
      ['h[a-b]llo', 'hbllo', true],
      ['h[a-b]llo', 'hcllo', false],
      ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false],
      ['*:*:end', 'a:b:end', true],
      ['*\u00ff', 'x\u00ff', true],
    ]
    for (const [pattern, key, expected] of cases) expect(matchesGlob(pattern, key), `${pattern} ~ ${key}`).toBe(expected)
  })

  it('finds the literal prefix every match starts with', () => {
    expect(literalPrefix('user:*')).toBe('user:')
    expect(literalPrefix('a\\*b*')).toBe('a*b')
    expect(literalPrefix('?x')).toBe('')
    expect(literalPrefix('plain')).toBe('plain')
  })
})
