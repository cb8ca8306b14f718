/**
 * Where a command's keys are among its arguments, as Redis's `COMMAND` lists them (first key, last key, step), for
 * clients that find a command's keys from that list. The command table's specs say theirs; `COMMAND` prints them.
 */

/** A command's first key, last key (-1: the last argument) and step between keys. */
export type KeyPositions = readonly [first: number, last: number, step: number]

/** A command that takes no key. */
export const NO_KEYS: KeyPositions = [0, 0, 0]

/** A command with one key, right after its name: most of them. */
export const ONE_KEY: KeyPositions = [1, 1, 1]

/** A command whose arguments are all keys (DEL, MGET). */
export const ALL_KEYS: KeyPositions = [1, -1, 1]

/** A command whose arguments are keys and values in turn (MSET). */
export const KEYS_AND_VALUES: KeyPositions = [1, -1, 2]
