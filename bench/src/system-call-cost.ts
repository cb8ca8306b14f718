/**
 * System calls: what one costs on this machine, measured before each run and printed beside the machine's facts.
 *
 * Why: on the 2-vCPU virtual machine this suite is developed on (a PVM guest), every switch from a process into the
 * kernel goes through the hypervisor, and the cheapest system call there, `getppid`, takes about 1.5 µs, where
 * without a hypervisor in the way it takes well under half a microsecond. Every socket read and write is a system
 * call, so the figures that make one per message or per turn pay it: the chat's deliveries (about one system call
 * each), open loops at low rates (a turn per message), the receivers of large messages (half of their time in the
 * kernel). Two machines with the same CPU can differ by that much, and nothing else in the report would say so.
 *
 * The probe reads `process.ppid`, which Node answers with a `getppid` system call each time (nothing cached), in a few
 * rounds of many calls, and reports the median round's µs per call: a system call that does no work, plus Node's
 * way into it from JavaScript.
 */

/** What the probe saw. */
export interface SystemCallCost {
  /** Calls in each round. */
  calls: number
  /** Rounds timed. */
  rounds: number
  /** µs for each call, the median over the rounds. */
  usPerCall: number
}

/** Times `rounds` rounds of `calls` reads of `process.ppid` (one `getppid` system call each). */
export function measureSystemCallCost(calls = 100_000, rounds = 3): SystemCallCost {
  if (!Number.isInteger(calls) || calls < 1) throw new RangeError(`calls must be a whole number of at least 1, got ${calls}`)
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be a whole number of at least 1, got ${rounds}`)
  const perCall: number[] = []
  let sink = 0
  for (let r = 0; r < rounds; r++) {
    const started = performance.now()
    for (let i = 0; i < calls; i++) sink += process.ppid
    perCall.push(((performance.now() - started) * 1000) / calls)
  }
  // Read, so the loop's result is used.
  if (sink === -1) perCall.push(0)
  perCall.sort((a, b) => a - b)
  return { calls, rounds, usPerCall: perCall[perCall.length >> 1]! }
}

/** One line for people: "1.44 µs for each getppid from JavaScript (100,000 calls, 3 rounds)". */
export function describeSystemCallCost(c: SystemCallCost): string {
  return `${c.usPerCall.toFixed(2)} µs for each getppid from JavaScript (${c.calls.toLocaleString('en-US')} calls, ${c.rounds} ${c.rounds === 1 ? 'round' : 'rounds'})`
}
