/**
 * What the id tables' model tests share (internal/id-table.test.ts, internal/paged-id-table.test.ts): the live ids of
 * the model, and the comparison of a table with its model.
 */
import { expect } from 'vitest'

/** A table entry: what the tables read (`pid.id`) and a label to tell entries of the same id apart. */
export interface LabelledEntry {
  readonly pid: { readonly id: number }
  readonly label: number | string
}

/** What a table offers the comparison. */
interface Table {
  readonly size: number
  get(id: number): LabelledEntry | undefined
  values(): LabelledEntry[]
}

/**
 * The model's live ids in an array, so a step can pick one by index without copying the model's keys (which made the
 * tests take seconds on a loaded machine).
 */
export class LiveIds {
  readonly #ids: number[] = []

  get length(): number {
    return this.#ids.length
  }

  at(index: number): number {
    return this.#ids[index] as number
  }

  add(id: number): void {
    this.#ids.push(id)
  }

  /** Removes and returns the id at `index`, moving the last id into its place. */
  takeAt(index: number): number {
    const id = this.#ids[index] as number
    this.#ids[index] = this.#ids[this.#ids.length - 1] as number
    this.#ids.pop()
    return id
  }

  /** Removes `id` (present): a search, for ids not picked by index. */
  forget(id: number): void {
    this.takeAt(this.#ids.indexOf(id))
  }
}

/** Expects `table` to hold what `model` (id → label) holds: its size, each entry by id, and nothing else. */
export function expectSameAsModel(table: Table, model: ReadonlyMap<number, number | string>): void {
  expect(table.size).toBe(model.size)
  const wrong = [...model].filter(([id, label]) => table.get(id)?.label !== label)
  expect(wrong).toEqual([])
  const sorted = (labels: (number | string)[]): string[] => labels.map(String).sort()
  expect(sorted(table.values().map((e) => e.label))).toEqual(sorted([...model.values()]))
}
