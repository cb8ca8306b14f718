/**
 * What the `cohort` program may touch: its output, the environment, signals, exit and its own entry script. Every
 * command takes it from createProgram (program.ts), so tests run the program in-process with fakes. Apart from
 * program.ts so that the commands, which program.ts imports, need not import program.ts back for this type.
 */

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
