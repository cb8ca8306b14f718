/**
 * The allocator setting recommended for nodes that move large messages, as the `GLIBC_TUNABLES` environment variable
 * of the Node process (it must be set before the process starts; glibc reads it once).
 *
 * Why: every large message allocates fresh buffers outside V8's heap (ws's copy of a chunk as it read it, the
 * reassembled message). With glibc's defaults, the memory freed at the top of the heap after a garbage collection
 * may be handed back to the system and then taken again, page by page, for the next messages. Whether it is depends
 * on the order of earlier allocations: a 1 MiB one-way receiver took 700k minor page faults in one 6 s run
 * (1,994 msg/s) and 127k in the next (3,674 msg/s); with this setting, 21k and 22k (3,322 and 3,873 msg/s;
 * bench/RESULTS.md, change 24). The cost is memory: up to 64 MiB freed is kept for reuse instead of being returned
 * at once, and allocations below 16 MiB come from the heap rather than from mappings of their own.
 */
export const RECOMMENDED_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=16777216:glibc.malloc.trim_threshold=67108864'
