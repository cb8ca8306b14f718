/**
 * The Node command-line flags recommended for a node process: put them before the script (`node
 * --initial-heap-size=64 main.js`). Node refuses them in `NODE_OPTIONS`, and V8 reads them only at start, so they
 * cannot be set from JavaScript either.
 *
 * Why: the V8 of Node 20 counts the memory allocated outside its heap since the last full collection (the
 * ArrayBuffers of socket reads and of large messages) as if it were old-generation memory when it decides whether
 * to start one. A node that receives hundreds of megabytes a second allocates that much outside the heap, freed by
 * the next scavenges, so the count swings by tens of megabytes; with the few megabytes of heap a node starts with,
 * the old generation's limit is only 19–36 MB, a swing crosses it, and the node marks and compacts again and again:
 * 53–94 full collections in nine seconds of 16 KiB messages, against 0–1 with this flag, and 64 KiB one-way at
 * 21.7k–22.9k msg/s against 29.7k–31.6k in alternated runs (bench/RESULTS.md, change 79). A first heap of 64 MB
 * puts that limit above the swing. An application whose own heap is that large should already have such a limit
 * (not measured).
 *
 * The cost: until its first full collection, a process may hold up to 64 MB of heap, garbage included.
 */
export const RECOMMENDED_NODE_FLAGS: readonly string[] = Object.freeze(['--initial-heap-size=64'])
