/**
 * The LOADING check a cache node runs before every RESP command, as it runs once caught up (the cache app's
 * run-cache-node.ts and first-catch-up.ts): its map's `stopped`, and whether the replica is still the one that caught
 * up. The benchmark's cache nodes run no discovery, so they are caught up from the start; this gives their RESP rows
 * the check's cost all the same.
 */
import type { CacheMap } from '@cohort/cache'

export function caughtUpLoadingCheck(map: CacheMap): () => boolean {
  const caughtUpReplica = map.pid
  return () => map.stopped === true || map.pid !== caughtUpReplica
}
