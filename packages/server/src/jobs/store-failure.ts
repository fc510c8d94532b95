import { ErrorCode, JobProtocolError, protocolError, type ProtocolError } from '@org/ws-protocol';

/**
 * The `retryAfterMs` of every `UNAVAILABLE` answer (the job store, e.g. Redis, did not answer): short and fixed, so
 * that clients keep coming back at this pace through an outage, however long, and are served soon after it ends.
 */
export const UNAVAILABLE_RETRY_AFTER_MS = 1000;

/** The typed error for a store that could not answer (Redis away), with the retry hint; protocol errors of the store pass through. */
export function storeFailure(error: unknown): JobProtocolError {
  if (error instanceof JobProtocolError) {
    if (error.code !== ErrorCode.UNAVAILABLE || error.retryAfterMs !== undefined) return error;
    return new JobProtocolError(protocolError(ErrorCode.UNAVAILABLE, error.message, UNAVAILABLE_RETRY_AFTER_MS), { cause: error });
  }
  return new JobProtocolError(protocolError(ErrorCode.UNAVAILABLE, 'job state is unavailable; retry later', UNAVAILABLE_RETRY_AFTER_MS), { cause: error });
}

/** The wire refusal of a request the store could not serve: {@link storeFailure} as a `ProtocolError`. */
export function storeRefusal(error: unknown): ProtocolError {
  return storeFailure(error).toJSON();
}
