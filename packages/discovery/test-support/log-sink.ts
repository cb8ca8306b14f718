/** A pino logger writing parsed JSON lines into an array, for asserting what was logged (not as the test oracle). */
import { pino } from 'pino'
import type { Logger } from 'pino'
import { Writable } from 'node:stream'

export function logSink(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line))
      callback()
    },
  })
  return { logger: pino({ level: "trace", timestamp: false }, stream), lines }
}
