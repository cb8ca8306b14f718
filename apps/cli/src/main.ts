#!/usr/bin/env node
/**
 * The `cohort` binary: the only file that touches `process`. It builds the program with the real process and maps a
 * failure to an exit code.
 */
import { fileURLToPath } from 'node:url'
import { tolerateClosedReader } from '@cohort/discovery'
import { CommanderError } from 'commander'
import { createProgram } from './program.ts'

// A reader of the output that goes away (`cohort status --watch | head -3`, a parent that died) ends a command that
// only prints, quietly, as a Unix tool ends; a node (`start`) and the demo keep running (the demo's nodes would
// otherwise be left behind), and their output goes nowhere.
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'))
const keepsRunning = command === 'start' || command === 'demo'
tolerateClosedReader(process.stdout, () => {
  if (!keepsRunning) process.exit(0)
})
tolerateClosedReader(process.stderr)

const program = createProgram({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signals: process,
  exit: (code) => process.exit(code),
  entry: fileURLToPath(import.meta.url),
})
program.exitOverride()
try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode)
  process.stderr.write(`cohort: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
