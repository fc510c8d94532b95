import type { JobStatus } from '@org/ws-protocol';

/**
 * The keys of one bucket: on a Redis Cluster every key carries the bucket's hash tag (`{7}`), so that all of them live
 * in one slot and one Lua script may touch any of them; a single Redis has one bucket, without a tag.
 */
export interface RedisBucketKeys {
  /** Hash with a job's `seq`, `status`, `terminal` flag and `snapshot` JSON. */
  job(jobId: string): string;
  /** List of a job's recent updates (JSON), oldest first. */
  updates(jobId: string): string;
  /** Sorted set of the bucket's non-terminal jobs (`seq|jobId`) scored by their last update time. */
  readonly activeJobs: string;
  /** Sorted set of the bucket's terminal jobs (`seq|jobId`) scored by their terminal update time. */
  readonly finishedJobs: string;
  /** Sorted set of the bucket's jobs (ids) whose latest update has this status, scored by that update's time; for counting. */
  jobsWithStatus(status: JobStatus): string;
  /** Sorted set of the server nodes counting connections of the bucket's IPs, scored by the time their counts expire. */
  readonly nodes: string;
  /** Prefix of the per-node hashes of connection counts per IP (of the bucket's IPs). */
  readonly nodeConnectionsPrefix: string;
}

/** Every Redis key and channel prefix the package uses under one `keyPrefix`. */
export interface RedisKeys {
  /** How many buckets the keys are spread over (1 on a single Redis). */
  readonly buckets: number;
  /** The keys of bucket `index` (0 ≤ index < `buckets`). */
  bucket(index: number): RedisBucketKeys;
  /** The bucket of a job id or an IP: the same on every node and publisher. */
  bucketOf(name: string): number;
  /** Channel prefix of the Socket.IO Redis adapter and emitter. */
  readonly adapterChannel: string;
}

/**
 * Buckets on a Redis Cluster: fixed (every writer of a deployment must agree), and well above the number of masters,
 * so that the slots of the buckets spread over all of them.
 */
export const CLUSTER_BUCKETS = 64;

/** FNV-1a: a fast, stable hash of a name (the same on every node). */
function fnv1a(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The keys under `prefix` (e.g. `ws-jobs:`), spread over `buckets` hash tags (1 on a single Redis). */
export function redisKeys(prefix: string, buckets = 1): RedisKeys {
  const cache = new Map<number, RedisBucketKeys>();
  const bucket = (index: number): RedisBucketKeys => {
    let keys = cache.get(index);
    if (!keys) {
      // A single Redis needs no tag: its keys stay as they always were.
      const [infix, suffix] = buckets === 1 ? ['', ''] : [`{${index}}:`, `:{${index}}`];
      keys = {
        job: (jobId) => `${prefix}job:${infix}${jobId}`,
        updates: (jobId) => `${prefix}updates:${infix}${jobId}`,
        activeJobs: `${prefix}jobs:active${suffix}`,
        finishedJobs: `${prefix}jobs:finished${suffix}`,
        jobsWithStatus: (status) => `${prefix}jobs:status:${status}${suffix}`,
        nodes: `${prefix}nodes${suffix}`,
        nodeConnectionsPrefix: `${prefix}node-connections:${infix}`,
      };
      cache.set(index, keys);
    }
    return keys;
  };
  return {
    buckets,
    bucket,
    bucketOf: (name) => (buckets === 1 ? 0 : fnv1a(name) % buckets),
    adapterChannel: `${prefix}socket.io`,
  };
}
