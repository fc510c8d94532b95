import type { JobUpdate } from '@org/ws-protocol';
import { JobClientError } from './errors';
import { outcomeError } from './job-outcome';
import { checkOf, type JobDataOptions } from './job-data-check';
import { timerDelayMs } from './timer-delay';
import { assertAbortSignal } from './abort-signal-option';
import type { SubscribeFunction } from './watch-job';

/** Options of `waitFor()`; its `data` schema checks the `completed` update only. */
export interface WaitForOptions<Data = unknown> extends JobDataOptions<Data> {
  /** Rejects with `ABORTED` when it fires. @default undefined */
  signal?: AbortSignal | undefined;
  /** Rejects with `TIMEOUT` after this long: a number >= 0, any size (`Infinity`: no deadline). @default undefined (no deadline) */
  timeoutMs?: number | undefined;
}

/**
 * Resolves with the job's `completed` update; rejects with `JOB_FAILED` / `JOB_CANCELLED` (carrying the
 * update), `JOB_EXPIRED`, `INVALID_DATA` (its `data` failed the `data` schema), `TIMEOUT`, `ABORTED`, `CLOSED` or the
 * subscription's error. Leaves no timer or listener behind. Rejects with `INVALID_OPTIONS` at once, subscribing to
 * nothing, when `timeoutMs` is not a number >= 0, `signal` not an AbortSignal or `data` not a Standard Schema.
 */
export function waitForJob(subscribe: SubscribeFunction, jobId: string, options: WaitForOptions = {}): Promise<JobUpdate> {
  // Only the update it resolves with is checked: the progress before it may well carry no data.
  const check = checkOf(options);
  const { signal, timeoutMs } = options;
  assertAbortSignal(signal, 'waitFor');
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    const got = typeof timeoutMs === 'number' ? String(timeoutMs) : typeof timeoutMs;
    return Promise.reject(new JobClientError('INVALID_OPTIONS', `waitFor: timeoutMs must be a number >= 0, got ${got}`, { jobId }));
  }
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
      else if (outcome.kind === 'terminal') {
        const checked = check ? check(outcome.update) : outcome.update;
        if (checked instanceof JobClientError) reject(checked);
        else resolve(checked);
      }
    });
    // `subscribe` runs the application's listeners (`connecting`, `state`), which may have aborted the signal already.
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    // A deadline beyond what one timer honours is waited out in several.
    const armDeadline = (remainingMs: number): void => {
      const delayMs = timerDelayMs(remainingMs);
      timer = setTimeout(() => {
        if (remainingMs > delayMs) {
          armDeadline(remainingMs - delayMs);
          return;
        }
        cleanup();
        reject(new JobClientError('TIMEOUT', `job ${jobId} did not finish within ${timeoutMs} ms`, { jobId }));
      }, delayMs);
    };
    if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) armDeadline(timeoutMs);
  });
}
