import type { JobUpdate } from '@org/ws-protocol';
import { JobClientError } from './errors';
import { checkOf, type JobDataCheck, type JobDataOptions } from './job-data-check';
import { outcomeError } from './job-outcome';
import { assertAbortSignal } from './abort-signal-option';
import type { JobSubscription, JobUpdateListener } from './job-subscription';

/** Options of `watch()`. */
export interface WatchOptions<Data = unknown> extends JobDataOptions<Data> {
  /** Ends the iteration with an `ABORTED` error. @default undefined */
  signal?: AbortSignal | undefined;
}

/** Opens a subscription; the client's `subscribe`, checking `data` with `check` when given. */
export type SubscribeFunction = (jobId: string, listener?: JobUpdateListener, check?: JobDataCheck) => JobSubscription;

/**
 * Async iterator over a job's snapshot and updates, ending after the terminal update. With `data`, an update that
 * fails the schema is skipped (reported on the client's `error`), a terminal one throws `INVALID_DATA`.
 * It throws `JOB_EXPIRED`, `ABORTED`, `CLOSED` or the subscription's error; `break` unsubscribes. Throws `INVALID_OPTIONS` at
 * once, subscribing to nothing, when `signal` is not an AbortSignal or `data` not a Standard Schema.
 */
export function watchJob(subscribe: SubscribeFunction, jobId: string, options: WatchOptions = {}): AsyncIterableIterator<JobUpdate> {
  const check = checkOf(options);
  const { signal } = options;
  assertAbortSignal(signal, 'watch');
  const queue: JobUpdate[] = [];
  let ended = false;
  let failure: JobClientError | undefined;
  let waiter: { resolve: (result: IteratorResult<JobUpdate>) => void; reject: (error: unknown) => void } | undefined;

  const settleWaiter = (): void => {
    if (!waiter) return;
    const current = waiter;
    if (queue.length > 0) {
      waiter = undefined;
      current.resolve({ value: queue.shift()!, done: false });
    } else if (ended) {
      waiter = undefined;
      if (failure) {
        const error = failure;
        failure = undefined;
        current.reject(error);
      } else {
        current.resolve({ value: undefined, done: true });
      }
    }
  };
  const finish = (error?: JobClientError): void => {
    if (ended) return;
    ended = true;
    failure = error;
    handle?.unsubscribe();
    signal?.removeEventListener('abort', onAbort);
    settleWaiter();
  };
  const onAbort = (): void => {
    finish(new JobClientError('ABORTED', `watching job ${jobId} was aborted`, { jobId, cause: signal?.reason }));
  };

  // Aborted already: nothing is subscribed (and no connection opened for it); the first `next()` throws `ABORTED`.
  const handle = signal?.aborted
    ? undefined
    : subscribe(
        jobId,
        (update) => {
          queue.push(update);
          settleWaiter();
        },
        check,
      );
  handle?.on('end', (outcome) => finish(outcome.kind === 'terminal' ? undefined : outcomeError(outcome, jobId)));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  return {
    next(): Promise<IteratorResult<JobUpdate>> {
      return new Promise((resolve, reject) => {
        if (waiter) {
          reject(new TypeError('watch(): call next() again only after the previous call settled'));
          return;
        }
        waiter = { resolve, reject };
        settleWaiter();
      });
    },
    return(): Promise<IteratorResult<JobUpdate>> {
      queue.length = 0;
      finish();
      failure = undefined;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
