import type { JobExpired, JobUpdate } from '@org/ws-protocol';
import { JobClientError } from './errors';

/**
 * Why the server no longer has a job that ended without a terminal update: a reason of its `job-expired`
 * notice (`stale`), or `gone` when a resubscribe found no job although the client had seen updates of it
 * (purged after its retention, expired while the client was away, or lost with an in-memory server's state).
 */
export type JobExpiredOutcomeReason = JobExpired['reason'] | 'gone';

/** The server no longer has the job, and no terminal update reached the client; `lastSeq` is the job's last `seq` (the notice's, or the last one delivered). */
export interface JobExpiredOutcome {
  /** Discriminant of {@link JobOutcome}. */
  readonly kind: 'expired';
  /** `stale` (the server's `job-expired`) or `gone` (a resubscribe found no job). */
  readonly reason: JobExpiredOutcomeReason;
  /** The job's last `seq`. */
  readonly lastSeq: number;
}

/** How a job subscription ended; each handle receives it exactly once. */
export type JobOutcome =
  /** The job reached `completed`, `failed` or `cancelled`; `update` is that terminal update. */
  | { readonly kind: 'terminal'; readonly update: JobUpdate }
  /** See {@link JobExpiredOutcome}. */
  | JobExpiredOutcome
  /** The subscription cannot continue (`FORBIDDEN`, `CLOSED`, the client gave up, ...). */
  | { readonly kind: 'error'; readonly error: JobClientError };

/** The error an outcome means for code awaiting success, or `undefined` when the job completed. */
export function outcomeError(outcome: JobOutcome, jobId: string): JobClientError | undefined {
  switch (outcome.kind) {
    case 'error':
      return outcome.error;
    case 'expired':
      return new JobClientError(
        'JOB_EXPIRED',
        outcome.reason === 'gone'
          ? `job ${jobId} is gone from the server after seq ${outcome.lastSeq} (dropped while this client was away)`
          : `job ${jobId} was dropped by the server after seq ${outcome.lastSeq} (${outcome.reason})`,
        { jobId, expired: outcome },
      );
    case 'terminal':
      if (outcome.update.status === 'failed') {
        return new JobClientError('JOB_FAILED', `job ${jobId} failed`, { jobId, update: outcome.update });
      }
      if (outcome.update.status === 'cancelled') {
        return new JobClientError('JOB_CANCELLED', `job ${jobId} was cancelled`, { jobId, update: outcome.update });
      }
      return undefined;
  }
}
