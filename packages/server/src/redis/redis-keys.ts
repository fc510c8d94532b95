import type { JobStatus } from '@org/ws-protocol';

/** Every Redis key and channel prefix the package uses under one `keyPrefix`. */
export interface RedisKeys {
  /** Hash with a job's `seq`, `status`, `terminal` flag and `snapshot` JSON. */
  job(jobId: string): string;
  /** List of a job's recent updates (JSON), oldest first. */
  updates(jobId: string): string;
  /** Sorted set of non-terminal jobs (`seq|jobId`) scored by their last update time. */
  readonly activeJobs: string;
  /** Sorted set of terminal jobs (`seq|jobId`) scored by their terminal update time. */
  readonly finishedJobs: string;
  /** Sorted set of the jobs (ids) whose latest update has this status, scored by that update's time; for counting. */
  jobsWithStatus(status: JobStatus): string;
  /** Sorted set of live server nodes scored by the time their connection counts expire. */
  readonly nodes: string;
  /** Prefix of the per-node hashes of connection counts per IP. */
  readonly nodeConnectionsPrefix: string;
  /** Channel prefix of the Socket.IO Redis adapter and emitter. */
  readonly adapterChannel: string;
}

/** The keys under `prefix` (e.g. `ws-jobs:`). */
export function redisKeys(prefix: string): RedisKeys {
  return {
    job: (jobId) => `${prefix}job:${jobId}`,
    updates: (jobId) => `${prefix}updates:${jobId}`,
    activeJobs: `${prefix}jobs:active`,
    finishedJobs: `${prefix}jobs:finished`,
    jobsWithStatus: (status) => `${prefix}jobs:status:${status}`,
    nodes: `${prefix}nodes`,
    nodeConnectionsPrefix: `${prefix}node-connections:`,
    adapterChannel: `${prefix}socket.io`,
  };
}
