/**
 * HistoryRecords: a room history's messages, oldest first, held as numbers and bytes instead of objects, so that a
 * node keeping every room's last messages gives its garbage collector nothing to copy for them (room-history.ts says
 * why that matters). Each message is a row of numbers (its order key, where its bytes are, its characters) and a
 * record in one byte arena per history. The names a room repeats (the room, the users, the nodes) are indices into a
 * table of the names in use, and an id made by `messageId` is made again from its parts, so a record is the text,
 * the ref and little else.
 *
 * A string is stored as V8 stores it: one byte a character when every character is below U+0100, two (UTF-16,
 * unpaired surrogates included) otherwise, so it takes about the memory it took as a string and reads back exactly.
 * The arena is compacted in place when full and reallocated only to grow or shrink, keeping it within about an
 * eighth over the bytes it holds.
 */
import { Buffer } from 'node:buffer'
import type { ChatMessage, MessageRef } from './chat-protocol.ts'
import { messageId } from './message-id.ts'

/** Columns of a row's numbers (Float64Array: a stamp, an incarnation and a sequence need more than 32 bits). */
const AT = 0
const INCARNATION = 1
const SEQ = 2
const NUMBER_COLUMNS = 3
/** Columns of a row's integers: the id's node, the message's node, room and user (name indices), the record. */
const ID_NODE = 0
const NODE = 1
const ROOM = 2
const USER = 3
const OFFSET = 4
const LENGTH = 5
const CHARS = 6
const INT_COLUMNS = 7

/** The smallest arena. */
const MIN_ARENA_BYTES = 1024
/** Any character at or above U+0100: the string needs two bytes a character. */
const WIDE = /[^\u0000-\u00ff]/
/** A string header that stands for "the id made by `messageId` from the row's parts". */
const ID_FROM_PARTS = 0xffffffff
/** What follows a record's text: no ref, a string ref, a number ref. */
const NO_REF = 0
const STRING_REF = 1
const NUMBER_REF = 2

export class HistoryRecords {
  #numbers = new Float64Array(8 * NUMBER_COLUMNS)
  #ints = new Int32Array(8 * INT_COLUMNS)
  /** The row of the oldest record. */
  #head = 0
  #size = 0
  #arena = Buffer.alloc(0)
  /** Where the next record's bytes go. */
  #end = 0
  /** Bytes of the records held (the arena's end minus what removed records left behind). */
  #live = 0
  #names: string[] = []
  #nameIndex = new Map<string, number>()

  get size(): number {
    return this.#size
  }

  /** Inserts `message` at position `i` (0 is the oldest); `idNode`, `incarnation` and `seq` are its id's parts. */
  insert(i: number, message: ChatMessage, idNode: string, incarnation: number, seq: number, chars: number): void {
    const idFromParts = messageId(idNode, incarnation, seq) === message.id
    const bytes = recordBytes(message, idFromParts)
    const offset = this.#reserve(bytes)
    writeRecord(this.#arena, offset, message, idFromParts)
    // Before any of this message's names is looked up: a rebuild keeps only the rows' names, so one between two
    // lookups would drop the first's new name and leave its index pointing elsewhere.
    if (this.#names.length > 4 * this.#size + 16) this.#rebuildNames()
    const idNodeName = this.#indexOf(idNode)
    const nodeName = this.#indexOf(message.node)
    const roomName = this.#indexOf(message.room)
    const userName = this.#indexOf(message.user)
    this.#makeRoomForRow()
    const row = this.#head + i
    if (i < this.#size) {
      const end = this.#head + this.#size
      this.#numbers.copyWithin((row + 1) * NUMBER_COLUMNS, row * NUMBER_COLUMNS, end * NUMBER_COLUMNS)
      this.#ints.copyWithin((row + 1) * INT_COLUMNS, row * INT_COLUMNS, end * INT_COLUMNS)
    }
    const n = row * NUMBER_COLUMNS
    this.#numbers[n + AT] = message.at
    this.#numbers[n + INCARNATION] = incarnation
    this.#numbers[n + SEQ] = seq
    const r = row * INT_COLUMNS
    this.#ints[r + ID_NODE] = idNodeName
    this.#ints[r + NODE] = nodeName
    this.#ints[r + ROOM] = roomName
    this.#ints[r + USER] = userName
    this.#ints[r + OFFSET] = offset
    this.#ints[r + LENGTH] = bytes
    this.#ints[r + CHARS] = chars
    this.#size++
  }

  /** Removes the oldest record; an arena left four times larger than what it holds is reallocated smaller. */
  removeOldest(): void {
    this.#live -= this.#ints[this.#head * INT_COLUMNS + LENGTH]!
    this.#head++
    this.#size--
    if (this.#size === 0) {
      this.#head = 0
      this.#end = 0
      this.#live = 0
    }
    if (4 * this.#live + MIN_ARENA_BYTES < this.#arena.length) this.#compact(0)
  }

  at(i: number): number {
    return this.#numbers[(this.#head + i) * NUMBER_COLUMNS + AT]!
  }

  /** The node named in the id of the message at `i` (what orders messages with equal stamps). */
  idNode(i: number): string {
    return this.#names[this.#ints[(this.#head + i) * INT_COLUMNS + ID_NODE]!]!
  }

  incarnation(i: number): number {
    return this.#numbers[(this.#head + i) * NUMBER_COLUMNS + INCARNATION]!
  }

  seq(i: number): number {
    return this.#numbers[(this.#head + i) * NUMBER_COLUMNS + SEQ]!
  }

  chars(i: number): number {
    return this.#ints[(this.#head + i) * INT_COLUMNS + CHARS]!
  }

  id(i: number): string {
    const offset = this.#ints[(this.#head + i) * INT_COLUMNS + OFFSET]!
    if (this.#arena.readUInt32LE(offset) === ID_FROM_PARTS) return messageId(this.idNode(i), this.incarnation(i), this.seq(i))
    return readString(this.#arena, offset).value
  }

  /** The message at `i`, made again from its row and record. */
  message(i: number): ChatMessage {
    const arena = this.#arena
    const r = (this.#head + i) * INT_COLUMNS
    const id = this.id(i)
    // The text follows the id's header, and the id's bytes when it was kept as it came.
    const offset = this.#ints[r + OFFSET]!
    const text = readString(arena, arena.readUInt32LE(offset) === ID_FROM_PARTS ? offset + 4 : offset + 4 + stringBytesAt(arena, offset))
    const room = this.#names[this.#ints[r + ROOM]!]!
    const user = this.#names[this.#ints[r + USER]!]!
    const node = this.#names[this.#ints[r + NODE]!]!
    const at = this.at(i)
    const tag = arena[text.next]
    if (tag === NO_REF) return { type: 'message', room, user, text: text.value, at, id, node }
    const ref: MessageRef = tag === NUMBER_REF ? arena.readDoubleLE(text.next + 1) : readString(arena, text.next + 1).value
    return { type: 'message', room, user, text: text.value, at, id, node, ref }
  }

  /** Bytes the arena and the rows take (for tests and the memory figures). */
  get footprintBytes(): number {
    return this.#arena.length + this.#numbers.byteLength + this.#ints.byteLength
  }

  /** Names in the table (for tests: it is rebuilt from the rows once it holds more than four names a row). */
  get namesHeld(): number {
    return this.#names.length
  }

  /** Makes room for one more row after the newest. */
  #makeRoomForRow(): void {
    const rowsHeld = this.#numbers.length / NUMBER_COLUMNS
    if (this.#head + this.#size < rowsHeld) return
    const from = this.#head
    const to = this.#head + this.#size
    if (from > 0 && this.#size < rowsHeld) {
      this.#numbers.copyWithin(0, from * NUMBER_COLUMNS, to * NUMBER_COLUMNS)
      this.#ints.copyWithin(0, from * INT_COLUMNS, to * INT_COLUMNS)
    } else {
      const numbers = new Float64Array(rowsHeld * 2 * NUMBER_COLUMNS)
      numbers.set(this.#numbers.subarray(from * NUMBER_COLUMNS, to * NUMBER_COLUMNS))
      this.#numbers = numbers
      const ints = new Int32Array(rowsHeld * 2 * INT_COLUMNS)
      ints.set(this.#ints.subarray(from * INT_COLUMNS, to * INT_COLUMNS))
      this.#ints = ints
    }
    this.#head = 0
  }

  /** The offset of `bytes` free bytes at the arena's end, compacting or reallocating it first if they do not fit. */
  #reserve(bytes: number): number {
    if (this.#end + bytes > this.#arena.length) this.#compact(bytes)
    const offset = this.#end
    this.#end += bytes
    this.#live += bytes
    return offset
  }

  /**
   * Moves the records to the arena's start, leaving `bytes` free after them: in place while that leaves a sixteenth
   * free and the arena is not four times larger than needed, else into a new arena an eighth over the need. (A room
   * of 4 KiB texts then compacts about every message, a copy of its 64 KiB at most: cheap beside the memory a
   * larger margin would keep in every room of every node.)
   */
  #compact(bytes: number): void {
    const needed = this.#live + bytes
    const held = this.#arena.length
    const inPlace = held - needed >= needed / 16 && held <= 4 * needed + MIN_ARENA_BYTES
    const to = inPlace ? this.#arena : Buffer.allocUnsafeSlow(Math.max(MIN_ARENA_BYTES, Math.ceil(needed * 1.125)))
    this.#end = this.#moveRecords(to)
    this.#arena = to
  }

  /**
   * Moves every record, lowest offset first, to the start of `to` (the arena itself, or a new one), and returns where
   * they end. Lowest first, so that moving in place never overwrites a record before it moved. Records that lie next
   * to each other move as one copy: they mostly arrive in order and leave oldest first, so the records held are
   * usually one run, moved by one copy instead of one a record.
   */
  #moveRecords(to: Buffer): number {
    const ints = this.#ints
    const first = this.#head * INT_COLUMNS
    const from = this.#arena
    const rows = this.#rowsByOffset()
    let end = 0
    let runFrom = 0
    let runLength = 0
    for (let k = 0; k < this.#size; k++) {
      const r = first + (rows === undefined ? k : rows[k]!) * INT_COLUMNS
      const offset = ints[r + OFFSET]!
      const length = ints[r + LENGTH]!
      if (offset !== runFrom + runLength) {
        if (runLength > 0) from.copy(to, end - runLength, runFrom, runFrom + runLength)
        runFrom = offset
        runLength = 0
      }
      runLength += length
      ints[r + OFFSET] = end
      end += length
    }
    if (runLength > 0) from.copy(to, end - runLength, runFrom, runFrom + runLength)
    return end
  }

  /**
   * The rows in the order of their records' offsets, or undefined when that is the rows' own order (messages that
   * arrived in order). An insertion sort: the records of a room are nearly in order, so it is nearly a pass.
   */
  #rowsByOffset(): Int32Array | undefined {
    const ints = this.#ints
    const first = this.#head * INT_COLUMNS
    let sorted = true
    for (let i = 1; i < this.#size && sorted; i++) sorted = ints[first + (i - 1) * INT_COLUMNS + OFFSET]! < ints[first + i * INT_COLUMNS + OFFSET]!
    if (sorted) return undefined
    const order = new Int32Array(this.#size)
    for (let i = 0; i < order.length; i++) {
      let j = i
      while (j > 0 && ints[first + order[j - 1]! * INT_COLUMNS + OFFSET]! > ints[first + i * INT_COLUMNS + OFFSET]!) {
        order[j] = order[j - 1]!
        j--
      }
      order[j] = i
    }
    return order
  }

  /** The table index of `name`, added if new. */
  #indexOf(name: string): number {
    const known = this.#nameIndex.get(name)
    if (known !== undefined) return known
    const index = this.#names.length
    this.#names.push(name)
    this.#nameIndex.set(name, index)
    return index
  }

  /** Rebuilds the table from the rows' names: it grows by a message's new names and never shrinks otherwise. */
  #rebuildNames(): void {
    const names: string[] = []
    const nameIndex = new Map<string, number>()
    for (let i = 0; i < this.#size; i++) {
      const r = (this.#head + i) * INT_COLUMNS
      for (const column of [ID_NODE, NODE, ROOM, USER]) {
        const name = this.#names[this.#ints[r + column]!]!
        let index = nameIndex.get(name)
        if (index === undefined) {
          index = names.length
          names.push(name)
          nameIndex.set(name, index)
        }
        this.#ints[r + column] = index
      }
    }
    this.#names = names
    this.#nameIndex = nameIndex
  }
}

/** The bytes of a string's record: a 4-byte header (length × 2, plus 1 when two bytes a character), then the bytes. */
function stringBytes(s: string): number {
  return 4 + (WIDE.test(s) ? 2 * s.length : s.length)
}

/** The bytes after the header of the string stored at `at`. */
function stringBytesAt(arena: Buffer, at: number): number {
  const header = arena.readUInt32LE(at)
  return (header & 1) === 1 ? header - 1 : header / 2
}

function recordBytes(m: ChatMessage, idFromParts: boolean): number {
  const ref = m.ref
  const refBytes = ref === undefined ? 1 : typeof ref === 'number' ? 9 : 1 + stringBytes(ref)
  return (idFromParts ? 4 : stringBytes(m.id)) + stringBytes(m.text) + refBytes
}

function writeRecord(arena: Buffer, offset: number, m: ChatMessage, idFromParts: boolean): void {
  let at = offset
  if (idFromParts) {
    arena.writeUInt32LE(ID_FROM_PARTS, at)
    at += 4
  } else at = writeString(arena, at, m.id)
  at = writeString(arena, at, m.text)
  const ref = m.ref
  if (ref === undefined) arena[at] = NO_REF
  else if (typeof ref === 'number') {
    arena[at] = NUMBER_REF
    arena.writeDoubleLE(ref, at + 1)
  } else {
    arena[at] = STRING_REF
    writeString(arena, at + 1, ref)
  }
}

function writeString(arena: Buffer, at: number, s: string): number {
  const wide = WIDE.test(s)
  arena.writeUInt32LE(s.length * 2 + (wide ? 1 : 0), at)
  if (s.length === 0) return at + 4
  return at + 4 + arena.write(s, at + 4, wide ? 'utf16le' : 'latin1')
}

function readString(arena: Buffer, at: number): { value: string; next: number } {
  const bytes = stringBytesAt(arena, at)
  const wide = (arena.readUInt32LE(at) & 1) === 1
  return { value: arena.toString(wide ? 'utf16le' : 'latin1', at + 4, at + 4 + bytes), next: at + 4 + bytes }
}
