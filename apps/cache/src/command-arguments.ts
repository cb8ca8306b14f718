/**
 * Reading command arguments as Redis does: integers in Redis's strict form, option words case-insensitively, and
 * the error texts Redis gives when they are wrong (clients and their users recognise these).
 */
import type { Buffer } from 'node:buffer'
import { MAX_MAP_TTL_MS } from '@cohort/core'

/** Redis's reply for an argument that should be an integer and is not (or is out of range). */
export const NOT_AN_INTEGER = 'ERR value is not an integer or out of range'
/**
 * The longest TTL accepted: 100 years, the replicated map's own limit. Longer ones are refused as invalid expire
 * times, since an expiry time past JavaScript's safe integers would not survive the trip to the other nodes intact.
 */
export const MAX_TTL_MS = MAX_MAP_TTL_MS

/** Redis's reply for an option it does not know or a bad combination of options. */
export const SYNTAX_ERROR = 'ERR syntax error'

/**
 * The argument as an integer, or undefined unless it is one: an optional `-` and digits, no leading `+`, spaces or
 * zeros, within JavaScript's safe integers (Redis's range is 64-bit; beyond 2^53 it is out of range here).
 */
export function parseInteger(arg: Buffer): number | undefined {
  const n = arg.length
  if (n === 0 || n > 17) return undefined
  let i = 0
  let negative = false
  if (arg[0] === 0x2d) {
    if (n === 1) return undefined
    negative = true
    i = 1
  }
  if (arg[i] === 0x30 && n > i + 1) return undefined
  let value = 0
  for (; i < n; i++) {
    const c = arg[i]!
    if (c < 0x30 || c > 0x39) return undefined
    value = value * 10 + (c - 0x30)
  }
  if (!Number.isSafeInteger(value)) return undefined
  return negative ? -value : value
}

/** The argument as an option word, uppercased (`ex`, `Ex` and `EX` are the same option). */
export function optionWord(arg: Buffer): string {
  return arg.toString('latin1').toUpperCase()
}
