import { MemoryJobStore, type JobStore } from '@org/ws-server';

/** A job store that outlives the job servers using it, as a Redis store outlives a restarted process. */
export interface SharedJobStore {
  /** Hand this to every job server; a closing server cannot empty it. */
  readonly store: JobStore;
  /** Empties the store for good. */
  close(): Promise<void>;
}

/**
 * Wraps an in-memory store without its `close`, because `JobServer.close()` closes the store it was given:
 * the demo restarts its server in-process and the jobs must survive that, as they would in Redis.
 */
export function createSharedJobStore(): SharedJobStore {
  const inner = new MemoryJobStore();
  const store: JobStore = {
    append: (jobId, input, at) => inner.append(jobId, input, at),
    get: (jobId) => inner.get(jobId),
    replay: (jobId, lastSeq) => inner.replay(jobId, lastSeq),
    delete: (jobId, expectedSeq) => inner.delete(jobId, expectedSeq),
    findExpired: (rule) => inner.findExpired(rule),
    size: () => inner.size(),
    countByStatus: () => inner.countByStatus(),
  };
  return { store, close: () => inner.close() };
}
