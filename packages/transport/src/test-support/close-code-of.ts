/**
 * The close code a protocol failure carries: runs `fn`, which must throw a ProtocolError, and returns its code, so a
 * test asserts which documented code (4003, 4007, …) a bad input earns rather than only that it threw.
 */
import { expect } from 'vitest'
import { ProtocolError } from '../wire/protocol-error.ts'

export function closeCodeOf(fn: () => unknown): number {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return (error as ProtocolError).closeCode
  }
  throw new Error('expected a ProtocolError')
}
