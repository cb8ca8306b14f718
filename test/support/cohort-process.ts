/**
 * Runs `cohort start` (the CLI's composition root, compiled) as a child process and follows the JSON events it
 * prints on stdout (`ready`, `nodeup`, `nodedown`, `restart`, …). Waits are on those events, never on sleeps; the
 * child's stderr log is kept and printed when a test fails.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { onTestFailed } from 'vitest'

const ENTRY = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url))

export type CohortEvent = Record<string, unknown> & { type: string }

export class CohortProcess {
  readonly child: ChildProcess
  readonly events: CohortEvent[] = []
  readonly log: string[] = []
  readonly exited: Promise<number | null>
  #waiters: (() => void)[] = []

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [ENTRY, 'start', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', ...env },
    })
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    // A process that exits without a last line must still wake the waits, so that they fail at once and not at the
    // test's timeout.
    this.child.once('exit', () => this.#wake())
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as CohortEvent)
      } catch {
        this.log.push(`stdout: ${line}`)
      }
      this.#wake()
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.log.push(line)
      this.#wake()
    })
    onTestFailed(() => {
      console.error(`--- log of cohort start ${args.join(' ')} ---\n${this.log.join('\n')}`)
    })
  }

  /** Resolves with the first event (already seen or still to come) that `match` accepts. */
  async waitFor(match: (e: CohortEvent) => boolean): Promise<CohortEvent> {
    for (;;) {
      const found = this.events.find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`cohort start exited (${this.child.exitCode ?? this.child.signalCode}) while waiting; log:\n${this.log.join('\n')}`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  /**
   * Resolves with the first log line (stderr) that `match` accepts. Logs and events travel on different pipes, so a
   * line logged before an event may still arrive after it.
   */
  async waitForLog(match: (line: string) => boolean): Promise<string> {
    for (;;) {
      const found = this.log.find(match)
      if (found !== undefined) return found
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`cohort start exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for a log line`)
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w()
  }
}
