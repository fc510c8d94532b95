import {
  JobClientError,
  type ConnectionState,
  type JobClient,
  type JobDataOptions,
  type JobOutcome,
  type JobSubscription,
  type JobUpdate,
  type SubscribeOptions,
} from '@org/ws-client';
import { DeferredRelease } from './deferred-release';
import { EMPTY_JOB_VIEW, viewWithError, viewWithOutcome, viewWithoutError, viewWithUpdate, type JobView } from './job-view';
import { isRetired } from './retired-clients';

/** Whether the client gave up connecting: it refuses subscriptions until the application calls `connect()`. */
const gaveUp = (state: ConnectionState): boolean => state.status === 'disconnected' && state.reason === 'gave-up';

/**
 * An external store (for `useSyncExternalStore`) over one job of a client. It holds a subscription handle while
 * React subscribes to it and releases the handle one microtask after the last React subscriber left, so the
 * StrictMode unmount/remount keeps one handle, hence one `subscribe-job` on the wire.
 *
 * A job that ended keeps its view: subscribed to again (an `<Activity>` shown again) the store sends nothing. A job
 * still running keeps its view and goes on from its last update (`resumeFrom`): the server replays what came after,
 * and a job it forgot meanwhile ends `expired`. A subscription the client's give-up
 * ended did not end the job: once `connect()` lifts the give-up, the store subscribes again, and drops the give-up's
 * error when the client is connected.
 */
export class JobStore {
  private view: JobView;
  private readonly listeners = new Set<() => void>();
  /** The live subscription, or the ended one whose outcome the view shows. */
  private handle: JobSubscription | undefined;
  /** The view's error is the client's give-up (the subscription ended, or subscribing threw), which `connect()` lifts. */
  private stalled = false;
  private stopWatchingClient: (() => void) | undefined;
  private readonly lease = new DeferredRelease(() => this.close());

  /** `initialView`: what a store of the same job on the client this one's replaced showed (see {@link viewForSuccessor}). */
  constructor(
    private readonly client: JobClient,
    readonly jobId: string,
    private readonly options: JobDataOptions = {},
    initialView: JobView = EMPTY_JOB_VIEW,
  ) {
    this.view = initialView;
  }

  /**
   * The view a store of this job on the client that replaces this store's starts from, once the provider closed this
   * store's client (an `<Activity>` hid the provider; shown again, it makes a new client): the updates and a job's end
   * stay, so the row neither flashes empty nor asks again for a job that ended; an error (the client's give-up, a
   * refusal) goes, and the new client asks again. `undefined` while the client is not retired.
   */
  viewForSuccessor(): JobView | undefined {
    if (!isRetired(this.client)) return undefined;
    // An error outcome sets `error` too (see `viewWithOutcome`).
    return this.view.error ? viewWithoutError(this.view) : this.view;
  }

  /** The current view; the same object until something changes. */
  readonly getSnapshot = (): JobView => this.view;

  /** Adds a React listener (subscribing to the job if nobody held it); returns the function that removes it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    this.lease.hold();
    this.stopWatchingClient ??= this.client.on('state', () => this.onClientState());
    this.open();
    // Shown again (an `<Activity>`) after `connect()` lifted a give-up the store did not see: no `connected` event follows.
    this.dropGiveUpErrorIfConnected();
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
    if (this.handle || (this.view.outcome && !this.stalled)) return;
    // A retired client is about to be replaced by its provider; a given-up one would throw until `connect()`.
    if (isRetired(this.client) || (this.stalled && gaveUp(this.client.state))) return;
    let handle: JobSubscription;
    try {
      // The schema's output stands in for `data` (useJob types it): the store itself treats every update alike. Shown
      // again (an `<Activity>`), it goes on from the update it shows: what came after is replayed, and a job the server
      // forgot meanwhile ends `expired` instead of being waited for as one not started yet.
      const options: SubscribeOptions<JobUpdate['data']> = { ...(this.options as JobDataOptions<JobUpdate['data']>), resumeFrom: this.view.update };
      handle = this.client.subscribe(this.jobId, undefined, options);
    } catch (error) {
      this.stalled = gaveUp(this.client.state);
      this.set(viewWithError(error instanceof JobClientError ? error : new JobClientError('INTERNAL', String(error), { jobId: this.jobId, cause: error })));
      return;
    }
    this.handle = handle;
    handle.on('update', (update) => this.set(viewWithUpdate(this.view, update)));
    handle.on('end', (outcome) => this.end(outcome));
  }

  private end(outcome: JobOutcome): void {
    if (outcome.kind === 'error' && isRetired(this.client)) {
      // Its provider closed the client: the job did not end, and the tree either is gone or gets a new client.
      this.handle = undefined;
      return;
    }
    this.stalled = outcome.kind === 'error' && gaveUp(this.client.state);
    // The give-up ended the subscription, not the job: without the dead handle, `connect()` can subscribe again.
    if (this.stalled) this.handle = undefined;
    this.set(viewWithOutcome(this.view, outcome));
  }

  private onClientState(): void {
    if (!this.stalled) return;
    this.open();
    this.dropGiveUpErrorIfConnected();
  }

  /** Drops the give-up's error once the store subscribed again and the client is connected. */
  private dropGiveUpErrorIfConnected(): void {
    if (!this.stalled || !this.handle || this.client.state.status !== 'connected') return;
    this.stalled = false;
    this.set(viewWithoutError(this.view));
  }

  private close(): void {
    this.stopWatchingClient?.();
    this.stopWatchingClient = undefined;
    this.handle?.unsubscribe();
    this.handle = undefined;
  }

  private set(view: JobView): void {
    if (view === this.view) return;
    this.view = view;
    for (const listener of [...this.listeners]) listener();
  }
}
