/**
 * The `cohort` command, built without side effects: `createProgram(io)` returns a commander program whose output and
 * process access go through `io`, so tests run it in-process. Only main.ts passes the real process in.
 */
import { Command } from 'commander'
import { demoCommand } from './commands/demo.ts'
import { doctorCommand } from './commands/doctor.ts'
import { pingCommand } from './commands/ping.ts'
import { startCommand } from './commands/start.ts'
import { statusCommand } from './commands/status.ts'
import { benchCommand } from './commands/bench.ts'

/** What the program may touch. */
export interface ProgramIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Readonly<Record<string, string | undefined>>
  signals: { on(signal: string, listener: (signal: string) => void): unknown; off(signal: string, listener: (signal: string) => void): unknown }
  exit: (code: number) => void
  /** The path of this CLI's entry script, for the demo to start node processes with. */
  entry: string
}

/** Creates the `cohort` program. */
export function createProgram(io: ProgramIO): Command {
  const program = new Command('cohort')
    .description('Erlang-style actors for Node.js: run and inspect a Cohort cluster')
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
