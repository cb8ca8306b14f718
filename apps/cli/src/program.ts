/**
 * The `cohort` command, built without side effects: `createProgram(io)` returns a commander program whose output and
 * process access go through `io`, so tests run it in-process. Only main.ts passes the real process in.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { demoCommand } from './commands/demo.ts'
import { doctorCommand } from './commands/doctor.ts'
import { pingCommand } from './commands/ping.ts'
import { startCommand } from './commands/start.ts'
import { statusCommand } from './commands/status.ts'
import { benchCommand } from './commands/bench.ts'
import type { ProgramIO } from './program-io.ts'

export type { ProgramIO } from './program-io.ts'

/** This package's version, as `cohort --version` prints it (from dist/ or src/, package.json is one level up). */
const CLI_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Creates the `cohort` program. */
export function createProgram(io: ProgramIO): Command {
  const program = new Command('cohort')
    .description('Erlang-style actors for Node.js: run and inspect a Cohort cluster')
    .version(CLI_VERSION, '-V, --version', "print cohort's version")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
  program.addCommand(startCommand(io))
  program.addCommand(statusCommand(io))
  program.addCommand(pingCommand(io))
  program.addCommand(doctorCommand(io))
  program.addCommand(demoCommand(io))
  program.addCommand(benchCommand(io))
  return program
}
