import type { JobClientError, JobOutcome, JobStatus, JobUpdate, JobUpdateOf } from '@org/ws-client';

/** What a component sees of one job: its latest update and how its subscription ended. `Data` types `data`. */
export interface JobView<Data = JobUpdate['data']> {
  /** Status of the latest update, or `undefined` before the first one arrived. */
  readonly status: JobStatus | undefined;
  /** Progress of the latest update (what the server sent, usually 0–100), or `undefined`. */
  readonly progress: number | undefined;
  /** `data` of the latest update, or `undefined`. */
  readonly data: Data | undefined;
  /** The latest update itself (snapshot first, then each update in `seq` order), or `undefined`. */
  readonly update: JobUpdateOf<Data> | undefined;
  /** How the subscription ended (terminal update, expiry, error), once it has. */
  readonly outcome: JobOutcome<JobUpdateOf<Data>> | undefined;
  /** Why the job cannot be watched: an outcome of kind `error` (`FORBIDDEN`, `CLOSED`, ...) or what `subscribe` threw. */
  readonly error: JobClientError | undefined;
}

/** The view before anything is known: no job id yet, no update yet, or server rendering. */
export const EMPTY_JOB_VIEW: JobView = Object.freeze({
  status: undefined,
  progress: undefined,
  data: undefined,
  update: undefined,
  outcome: undefined,
  error: undefined,
});

/** The view after `update` arrived. */
export function viewWithUpdate(view: JobView, update: JobUpdate): JobView {
  return { ...view, status: update.status, progress: update.progress, data: update.data, update };
}

/** The view after the subscription ended with `outcome`. */
export function viewWithOutcome(view: JobView, outcome: JobOutcome): JobView {
  return { ...view, outcome, error: outcome.kind === 'error' ? outcome.error : undefined };
}

/** The view once a subscription the client's give-up ended works again: its updates stay, its error goes. */
export function viewWithoutError(view: JobView): JobView {
  return { ...view, outcome: undefined, error: undefined };
}

/** The view of a job that could not be subscribed to. */
export function viewWithError(error: JobClientError): JobView {
  return { ...EMPTY_JOB_VIEW, error };
}
