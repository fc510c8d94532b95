import { JobClientError, type JobClient, type JobDataOptions, type JobSubscription, type JobUpdate } from '@org/ws-client';
import { DeferredRelease } from './deferred-release';
import { EMPTY_JOB_VIEW, viewWithError, viewWithOutcome, viewWithUpdate, type JobView } from './job-view';

/**
 * An external store (for `useSyncExternalStore`) over one job of a client. It holds a subscription handle while
 * React subscribes to it and releases the handle one microtask after the last React subscriber left, so the
 * StrictMode unmount/remount keeps one handle, hence one `subscribe-job` on the wire.
 *
 * A job that ended keeps its view: subscribed to again (an `<Activity>` shown again) the store sends nothing. A job
 * still running keeps its view until the client replays the job's snapshot.
 */
export class JobStore {
  private view: JobView = EMPTY_JOB_VIEW;
  private readonly listeners = new Set<() => void>();
  private handle: JobSubscription | undefined;
  private readonly lease = new DeferredRelease(() => this.close());

  constructor(
    private readonly client: JobClient,
    readonly jobId: string,
    private readonly options: JobDataOptions = {},
  ) {}

  /** The current view; the same object until something changes. */
  readonly getSnapshot = (): JobView => this.view;

  /** Adds a React listener (subscribing to the job if nobody held it); returns the function that removes it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    this.lease.hold();
    this.open();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(listener);
      this.lease.letGo();
    };
  };

  private open(): void {
    // Subscribing again to a job that ended would reset its outcome, and the server may no longer know the job.
    if (this.handle || this.view.outcome) return;
    let handle: JobSubscription;
    try {
      // The schema's output stands in for `data` (useJob types it): the store itself treats every update alike.
      handle = this.client.subscribe(this.jobId, undefined, this.options as JobDataOptions<JobUpdate['data']>);
    } catch (error) {
      this.set(viewWithError(error instanceof JobClientError ? error : new JobClientError('INTERNAL', String(error), { jobId: this.jobId, cause: error })));
      return;
    }
    this.handle = handle;
    handle.on('update', (update) => this.set(viewWithUpdate(this.view, update)));
    handle.on('end', (outcome) => this.set(viewWithOutcome(this.view, outcome)));
  }

  private close(): void {
    this.handle?.unsubscribe();
    this.handle = undefined;
  }

  private set(view: JobView): void {
    if (view === this.view) return;
    this.view = view;
    for (const listener of [...this.listeners]) listener();
  }
}
