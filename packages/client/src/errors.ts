import { ErrorCode, type JobUpdate, type ProtocolError } from '@org/ws-protocol';
import type { JobExpiredOutcome } from './job-expired-outcome';

/** Every code a {@link JobClientError} carries: the protocol's codes plus the client's own. */
export const JobClientErrorCode = {
  ...ErrorCode,
  /** The job reached `failed`. */
  JOB_FAILED: 'JOB_FAILED',
  /** The job reached `cancelled`. */
  JOB_CANCELLED: 'JOB_CANCELLED',
  /** The server no longer has the job, and no terminal update reached the client (outcome `expired`). */
  JOB_EXPIRED: 'JOB_EXPIRED',
  /** A deadline passed (`timeoutMs`, an unanswered request). */
  TIMEOUT: 'TIMEOUT',
  /** The caller's `AbortSignal` fired. */
  ABORTED: 'ABORTED',
  /** The client was closed. */
  CLOSED: 'CLOSED',
  /** The transport failed or dropped (server unreachable, connection lost). */
  TRANSPORT_ERROR: 'TRANSPORT_ERROR',
  /** An update's `data` failed the subscription's schema (`data` option); the update is on the error, nothing was dropped silently. */
  INVALID_DATA: 'INVALID_DATA',
  /** `createJobClient` (or `waitFor`, for its `timeoutMs`) was given an option it cannot use. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
} as const;

/** Union of every client error code. */
export type JobClientErrorCode = (typeof JobClientErrorCode)[keyof typeof JobClientErrorCode];

/** Extra facts an error can carry. */
export interface JobClientErrorDetails {
  /** What caused it (ES2022 `cause`). */
  cause?: unknown;
  /** The job it is about. */
  jobId?: string | undefined;
  /** The terminal update behind `JOB_FAILED` / `JOB_CANCELLED`, or the update whose data is `INVALID_DATA`. */
  update?: JobUpdate | undefined;
  /** The outcome behind `JOB_EXPIRED`: `reason` (`stale` or `gone`) and `lastSeq`. */
  expired?: JobExpiredOutcome | undefined;
  /** How long the server asked us to wait before retrying. */
  retryAfterMs?: number | undefined;
}

/** The one error type the client throws, rejects with and reports on its `error` event. */
export class JobClientError extends Error {
  override name = 'JobClientError';
  /** What went wrong, as a stable code. */
  readonly code: JobClientErrorCode;
  /** The job it is about, if any. */
  readonly jobId: string | undefined;
  /** The terminal update behind `JOB_FAILED` / `JOB_CANCELLED`, or the update whose data is `INVALID_DATA` (as received). */
  readonly update: JobUpdate | undefined;
  /** The outcome behind `JOB_EXPIRED`: `reason` (`stale` or `gone`) and `lastSeq`, as the subscription's `outcome` has them. */
  readonly expired: JobExpiredOutcome | undefined;
  /** How long the server asked us to wait before retrying, if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(code: JobClientErrorCode, message: string, details: JobClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.jobId = details.jobId;
    this.update = details.update;
    this.expired = details.expired;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** Wraps an error received on the wire. */
  static fromProtocol(error: ProtocolError, jobId?: string): JobClientError {
    return new JobClientError(error.code, error.message, { jobId, retryAfterMs: error.retryAfterMs, cause: error });
  }
}
