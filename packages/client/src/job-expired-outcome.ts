import type { JobExpired } from '@org/ws-protocol';

/**
 * Why the server no longer has a job that ended without a terminal update: a reason of its `job-expired`
 * notice (`stale`), or `gone` when a resubscribe found no job although the client had seen updates of it
 * (purged after its retention, expired while the client was away, or lost with an in-memory server's state).
 */
export type JobExpiredOutcomeReason = JobExpired['reason'] | 'gone';

/** The server no longer has the job, and no terminal update reached the client; `lastSeq` is the job's last `seq` (the notice's, or the last one delivered). */
export interface JobExpiredOutcome {
  /** Discriminant of `JobOutcome`. */
  readonly kind: 'expired';
  /** `stale` (the server's `job-expired`) or `gone` (a resubscribe found no job). */
  readonly reason: JobExpiredOutcomeReason;
  /** The job's last `seq`. */
  readonly lastSeq: number;
}
