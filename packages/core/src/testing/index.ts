/**
 * @cohort/core/testing — a virtual clock and an in-memory network of ActorSystems with faults on demand, for
 * testing distributed behaviour deterministically. Depends on no test framework.
 */
export { TestClock } from './test-clock.ts'
export { InMemoryNetwork, createNetwork } from './in-memory-network.ts'
export { createLogSink } from './log-sink.ts'
export type { NetworkOptions } from './in-memory-network.ts'
export type { LogSink } from './log-sink.ts'
