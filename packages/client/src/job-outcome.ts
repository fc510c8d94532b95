import type { JobUpdate } from '@org/ws-protocol';
import { JobClientError } from './errors';
import type { JobExpiredOutcome } from './job-expired-outcome';

export type { JobExpiredOutcome, JobExpiredOutcomeReason } from './job-expired-outcome';

/** How a job subscription ended; each handle receives it exactly once. `U` is the update type (typed `data`). */
export type JobOutcome<U = JobUpdate> =
  /** The job reached `completed`, `failed` or `cancelled`; `update` is that terminal update. */
  | { readonly kind: 'terminal'; readonly update: U }
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
