/** The default logger of every option object: a silent pino instance, so library code never asks "is there a logger". */
import { pino } from 'pino'
import type { Logger } from 'pino'

let silent: Logger | undefined

export function silentLogger(): Logger {
  silent ??= pino({ level: 'silent' })
  return silent
}
