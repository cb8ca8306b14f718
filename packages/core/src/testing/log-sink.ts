/**
 * LogSink: a pino logger that keeps its records as parsed objects, so tests can assert on what was logged
 * (never as the main oracle: trace records and return values are).
 */
import { pino } from 'pino'
import type { Logger } from 'pino'

/** A logger plus the records it wrote. */
export interface LogSink {
  logger: Logger
  records: Record<string, unknown>[]
}

export function createLogSink(level: pino.LevelWithSilent = 'trace'): LogSink {
  const records: Record<string, unknown>[] = []
  const logger = pino(
    { level, timestamp: false, base: null },
    { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) },
  )
  return { logger, records }
}
