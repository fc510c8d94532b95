import type { JobUpdate } from '@org/ws-protocol';
import { JobClientError } from './errors';
import { outcomeError } from './job-outcome';
import type { SubscribeFunction } from './watch-job';

/** Options of `waitFor()`. */
export interface WaitForOptions {
  /** Rejects with `ABORTED` when it fires. @default undefined */
  signal?: AbortSignal | undefined;
  /** Rejects with `TIMEOUT` after this long. @default undefined (no deadline) */
  timeoutMs?: number | undefined;
}

/**
 * Resolves with the job's `completed` update; rejects with `JOB_FAILED` / `JOB_CANCELLED` (carrying the
 * update), `JOB_EXPIRED`, `TIMEOUT`, `ABORTED`, `CLOSED` or the subscription's error. Leaves no timer or listener behind.
 */
export function waitForJob(subscribe: SubscribeFunction, jobId: string, options: WaitForOptions = {}): Promise<JobUpdate> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) {
    return Promise.reject(new JobClientError('ABORTED', `waiting for job ${jobId} was aborted`, { jobId, cause: signal.reason }));
  }
  return new Promise<JobUpdate>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      handle.unsubscribe();
    };
    const onAbort = (): void => {
      cleanup();
      reject(new JobClientError('ABORTED', `waiting for job ${jobId} was aborted`, { jobId, cause: signal?.reason }));
    };
    const handle = subscribe(jobId);
    handle.on('end', (outcome) => {
      cleanup();
      const error = outcomeError(outcome, jobId);
      if (error) reject(error);
      else if (outcome.kind === 'terminal') resolve(outcome.update);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(new JobClientError('TIMEOUT', `job ${jobId} did not finish within ${timeoutMs} ms`, { jobId }));
      }, timeoutMs);
    }
  });
}
