import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError, describeValue } from './errors.ts'

describe('describeValue', () => {
  it('names a value in a line, never carrying a large one whole', () => {
    expect(describeValue('short')).toBe('"short"')
    expect(describeValue('x'.repeat(5_000_000))).toBe(`"${'x'.repeat(200)}"… (5000000 characters)`)
    expect(describeValue(Buffer.alloc(5_000_000, 97))).toBe('<Buffer of 5000000 bytes>')
    expect(describeValue(new Uint8Array(3))).toBe('<Uint8Array of 3 bytes>')
    expect(describeValue({ a: 'y'.repeat(1000) })).toHaveLength(201)
    expect(describeValue(new Error('boom'))).toBe('Error: boom')
    expect(describeValue(undefined)).toBe('undefined')
    expect(new InvalidOptionError('value', Buffer.alloc(1 << 20), 'less').message).toBe('invalid option value: <Buffer of 1048576 bytes> (expected less)')
  })
})
