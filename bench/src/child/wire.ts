/**
 * What the two-node scenarios share: node names, the cookie, payloads, and the msgpackr options of the baselines
 * (core's codec options and its Buffer writer, without Cohort's other extensions, so the baseline encodes the way
 * Cohort does).
 */
import { registerBufferExtension } from '@cohort/core/distribution'
import { Packr, Unpackr } from 'msgpackr'

export const COOKIE = 'cohort-bench-cookie'
export const HOST = '127.0.0.1'

/** Same as core's codec (codec.ts CODEC_OPTIONS). */
const BASELINE_CODEC_OPTIONS = { useRecords: true, mapsAsObjects: false, moreTypes: true, int64AsType: 'bigint' as const }

export function baselinePackr(): Packr {
  // Without it msgpackr packs a 64-byte Buffer five times slower than Cohort does (core/src/buffer-extension.ts), and
  // the baseline would no longer bound what the runtime around the codec costs.
  registerBufferExtension()
  return new Packr(BASELINE_CODEC_OPTIONS)
}

export function baselineUnpackr(): Unpackr {
  return new Unpackr(BASELINE_CODEC_OPTIONS)
}

/** The transport's defaults, which the baselines copy so that both batch alike. */
export const FLUSH_THRESHOLD_BYTES = 256 * 1024
export const HIGH_WATER_MARK_BYTES = 4 * 1024 * 1024
export const LOW_WATER_MARK_BYTES = 1024 * 1024

/** Messages a sender produces per 'go' (per loop step): up to 100, and about 64 KiB of payload. */
export function batchFor(sizeBytes: number): number {
  return Math.max(1, Math.min(100, Math.floor((64 * 1024) / sizeBytes)))
}

/** A payload of `size` bytes (a Buffer: msgpack bin on the wire). */
export function payload(size: number): Buffer {
  return Buffer.alloc(size, 0x61)
}

/** The transport issue's "~100-byte object": a chat line, as the chat app would send it. */
export interface ChatLine {
  readonly room: string
  readonly from: string
  readonly seq: number
  readonly at: number
  readonly text: string
}

export function chatLine(): ChatLine {
  return { room: 'lobby', from: 'user-00042', seq: 123_456, at: 1_764_115_200_000, text: 'see you at the standup in ten minutes, and bring the release notes' }
}

/** The message a scenario sends: `kind` 'object' is a chat line, anything else a Buffer of `size` bytes. */
export function messageFor(params: Record<string, unknown>): { message: unknown; bytes: number } {
  if (params['kind'] === 'object') {
    const message = chatLine()
    // Its size in a batch: the record's values and a reference to its structure, as the batch writes it.
    return { message, bytes: baselinePackr().pack([message, message]).length - baselinePackr().pack([message]).length }
  }
  const size = Number(params['size'])
  return { message: payload(size), bytes: size }
}

/**
 * MB/s per trial: what the receiver counted for Buffers, or the message rate times the encoded size for objects,
 * whose bytes no receiver counts.
 */
export function megabytesPerSecond(params: Record<string, unknown>, rates: number[], byteRates: number[], messageBytes: number): number[] {
  return (params['kind'] === 'object' ? rates.map((r) => r * messageBytes) : byteRates).map((b) => b / 1e6)
}
