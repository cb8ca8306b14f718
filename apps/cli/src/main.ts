#!/usr/bin/env node
/**
 * The `cohort` binary: the only file that touches `process`. It builds the program with the real process and maps a
 * failure to an exit code.
 */
import { fileURLToPath } from 'node:url'
import { CommanderError } from 'commander'
import { createProgram } from './program.ts'

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
