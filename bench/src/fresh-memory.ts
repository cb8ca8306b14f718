/**
 * Fresh memory: what the first write to memory the process has never used costs on this machine, measured before
 * each run and printed beside the machine's facts.
 *
 * Why: on the 2-vCPU virtual machine this suite is developed on, the first write to each 4 KiB page of new memory
 * costs about 10 µs (the page fault goes through the hypervisor), tens of times what it costs on a machine without
 * one. A figure whose process grows into new memory while it is measured pays that: `local.spawn`, whose live actors
 * are promoted into new old-generation pages (about 11,000 faults a trial, half of its time here), a replicated map's
 * first 100,000 keys, a large array made anew. Two machines with the same CPU can differ by that much, and nothing else in
 * the report would say so.
 *
 * The probe writes one byte to each 4 KiB of a fresh allocation (64 MiB by default, over glibc's largest threshold for
 * serving an allocation from memory the process already has, so it is new memory from the kernel however the
 * allocator is tuned), in a few fresh allocations, then once more to the last one: the first writes are the price of
 * a fault, the second of a write.
 */
import { Buffer } from 'node:buffer'

const STRIDE = 4096

/** What the probe saw. */
export interface FreshMemory {
  /** The size of each fresh allocation, in bytes. */
  bytes: number
  /** Fresh allocations written. */
  tries: number
  /** µs for each 4 KiB written the first time, the median over the tries. */
  firstUsPer4KiB: number
  /** µs for each 4 KiB written again, once the memory is the process's. */
  againUsPer4KiB: number
}

/** Writes one byte to each 4 KiB of `buffer`; returns the µs it took for each 4 KiB. */
function touch(buffer: Buffer): number {
  const started = performance.now()
  for (let i = 0; i < buffer.length; i += STRIDE) buffer[i] = 1
  return ((performance.now() - started) * 1000) / Math.ceil(buffer.length / STRIDE)
}

/** Times the first and a second write to each 4 KiB of `tries` fresh allocations of `bytes`. */
export function measureFreshMemory(bytes = 64 * 1024 * 1024, tries = 3): FreshMemory {
  if (!Number.isInteger(bytes) || bytes < STRIDE) throw new RangeError(`bytes must be a whole number of at least ${STRIDE}, got ${bytes}`)
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError(`tries must be a whole number of at least 1, got ${tries}`)
  const first: number[] = []
  let again = 0
  for (let t = 0; t < tries; t++) {
    // allocUnsafeSlow: no pool and no zero fill, so no byte of it has been written before the probe's.
    const buffer = Buffer.allocUnsafeSlow(bytes)
    first.push(touch(buffer))
    if (t === tries - 1) again = touch(buffer)
  }
  first.sort((a, b) => a - b)
  return { bytes, tries, firstUsPer4KiB: first[first.length >> 1]!, againUsPer4KiB: again }
}

/** One line for people: "10.1 µs for each 4 KiB written the first time, 0.02 µs once written (64 MiB, 3 tries)". */
export function describeFreshMemory(f: FreshMemory): string {
  const size = f.bytes % (1024 * 1024) === 0 ? `${f.bytes / 1024 / 1024} MiB` : `${f.bytes} bytes`
  return `${f.firstUsPer4KiB.toFixed(2)} µs for each 4 KiB written the first time, ${f.againUsPer4KiB.toFixed(2)} µs once written (${size}, ${f.tries} ${f.tries === 1 ? 'try' : 'tries'})`
}
