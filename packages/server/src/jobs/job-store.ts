import type { JobStatus, JobUpdate, JobUpdateInput } from '@org/ws-protocol';

/** How many jobs a store holds in each status. */
export type JobStatusCounts = Record<JobStatus, number>;

/** What a subscriber needs to catch up: the snapshot and the updates after its `lastSeq`. */
export interface JobReplay {
  /** Latest update, or `null` before the job's first update. */
  snapshot: JobUpdate | null;
  /** Updates after `lastSeq`, oldest first; empty without `lastSeq` or when `resync` is true. */
  updates: JobUpdate[];
  /** True when the buffer no longer holds every update after `lastSeq`: the client must take the snapshot. */
  resync: boolean;
}

/** Most expired jobs of each kind the sweep asks a store for at once, and `RedisJobStore`'s bound when a rule sets no `limit`. */
export const EXPIRED_BATCH = 500;

/** A job that the sweep may drop. */
export interface ExpiredJob {
  /** The job. */
  jobId: string;
  /** Its latest `seq`; pass it to `delete` so that a job updated meanwhile survives. */
  lastSeq: number;
  /** `stale`: non-terminal without an update for too long; `finished`: terminal and past its retention. */
  kind: 'stale' | 'finished';
}

/** Ages after which the sweep drops jobs. */
export interface ExpiryRule {
  /** Current time in ms since the epoch. */
  now: number;
  /** Non-terminal jobs without an update for this long are stale. */
  staleJobMs: number;
  /** Terminal jobs are finished this long after their terminal update. */
  finishedJobRetentionMs: number;
  /**
   * Most jobs of each kind to report; the sweep asks again while a kind comes back full. Without it the store picks
   * its own bound (`MemoryJobStore`: none, `RedisJobStore`: 500).
   */
  limit?: number | undefined;
  /**
   * Finished jobs to keep whatever their age (the server's: those a subscriber on this node still watches). A store
   * leaves them out of what it reports and out of `limit`, so that kept jobs cannot fill every batch and hide the
   * droppable ones behind them; a store that cannot may report them anyway (the server checks again before dropping).
   */
  keep?: ((jobId: string) => boolean) | undefined;
}

/**
 * Where job snapshots and their bounded recent history live. Every method may be remote (Redis), so all
 * but `size` are async. Implementations assign `seq` atomically and refuse updates after a terminal one.
 */
export interface JobStore {
  /**
   * Appends an update: assigns the next `seq` (first is 1) and the job's `epoch` (a new one when the store holds no
   * history of the job: its first update, an id used again after `delete`, a store that lost its data), stamps `at`,
   * keeps it as the snapshot and in the bounded buffer. Rejects with `JobProtocolError` `INVALID_PAYLOAD` when the job already reached a terminal status.
   */
  append(jobId: string, input: JobUpdateInput, at: number): Promise<JobUpdate>;
  /** The job's latest update, or `null` when the store does not hold it. */
  get(jobId: string): Promise<JobUpdate | null>;
  /** The snapshot plus the buffered updates after `lastSeq` (see `JobReplay`). */
  replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay>;
  /** Deletes a job; with `expectedSeq`, only if its latest `seq` is still that one. Resolves whether it deleted. */
  delete(jobId: string, expectedSeq?: number): Promise<boolean>;
  /** Jobs that the rule says are stale or finished. */
  findExpired(rule: ExpiryRule): Promise<ExpiredJob[]>;
  /** How many jobs this store holds, as far as this process knows (synchronous, for `stats()`). */
  size(): number;
  /** Jobs per status, as far as this process knows (synchronous, for monitoring); optional. */
  countByStatus?(): JobStatusCounts;
  /**
   * Brings what `size()` and `countByStatus()` answer up to date, for a store that counts remotely; optional. The
   * server calls it on every tick of its ticker, never twice at once, and reports a failure instead of throwing it.
   */
  refreshCounts?(): Promise<void>;
  /** Releases whatever the store holds; called by `close()` of a server that created the store. */
  close?(): Promise<void>;
}
