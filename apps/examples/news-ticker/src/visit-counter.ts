/**
 * The visit counter: one number, incremented by every page view. In-memory on purpose: it is the part of the page
 * that has nothing to do with the feed, there to show that it never notices the ticker's crashes.
 */
import type { ServerBehaviour } from '@cohort/core'

export function visitCounterBehaviour(): ServerBehaviour<number, void> {
  return {
    name: 'visit-counter',
    init: () => 0,
    handleCall: (request: 'visit' | 'count', _from, count) =>
      request === 'visit' ? { reply: count + 1, state: count + 1 } : { reply: count, state: count },
  }
}
