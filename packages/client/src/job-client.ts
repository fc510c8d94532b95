import {
  EventName,
  JobIdCheck,
  parseWire,
  SubscribeJobAckCheck,
  UnsubscribeJobAckCheck,
  type JobDataMap,
  type JobDataOf,
  type JobExpired,
  type JobUpdate,
  type JobUpdateOf,
  type SubscribeJobOk,
  type SubscribeJobRequest,
  type TimeoutNotice,
} from '@org/ws-protocol';
import { resolveJobClientOptions, type JobClientOptions, type ResolvedJobClientOptions } from './client-options';
import { Connection } from './connection';
import type { ConnectionState, ConnectionStateOf } from './connection-state';
import { JobClientError } from './errors';
import { assertListener, EventEmitter } from './event-emitter';
import { checkOf, type JobDataCheck, type SubscribeOptions } from './job-data-check';
import { JobSubscriptionState, type JobSubscription, type JobUpdateListener } from './job-subscription';
import { retryDelayMs, retryRuleFor, type RetryTrigger } from './retry-policy';
import { RequestPacer } from './request-pacer';
import { resumePointOf, type JobResumePoint } from './resume-point';
import { waitForJob, type WaitForOptions } from './wait-for-job';
import { watchJob, type WatchOptions } from './watch-job';

/** Events of a {@link JobClient}; `on()` returns the function that removes the listener. */
export interface JobClientEvents {
  /** Any state change. */
  state: (state: ConnectionState) => void;
  /** A connection attempt started. */
  connecting: (state: ConnectionStateOf<'connecting'>) => void;
  /** The handshake succeeded; subscriptions are being restored. */
  connected: (state: ConnectionStateOf<'connected'>) => void;
  /** The connection is gone and the next attempt is scheduled. */
  reconnecting: (state: ConnectionStateOf<'reconnecting'>) => void;
  /** Not connected and not retrying (`not-started`, `idle`, `gave-up`, `closed`). */
  disconnected: (state: ConnectionStateOf<'disconnected'>) => void;
  /**
   * A typed problem with the connection or a request: refused handshake, invalid inbound message, failed
   * request. Never thrown. How a job ended (expired, forbidden, ...) is its subscription's outcome, not an `error`.
   */
  error: (error: JobClientError) => void;
  /** The server announced it will end the connection (already acknowledged). */
  notice: (notice: TimeoutNotice) => void;
}

/**
 * Watches jobs over one self-healing connection. Create with {@link createJobClient}. `Map` types each job's `data` by
 * job id (see `JobDataMap`); a `data` schema on a call types and checks it at runtime instead.
 */
export interface JobClient<Map extends object = JobDataMap> {
  /** Current connection state. */
  readonly state: ConnectionState;
  /**
   * Watches a job. The listener gets the snapshot first, then each update in `seq` order, never twice,
   * across reconnects. Throws `INVALID_PAYLOAD` for a malformed job id, `CLOSED` after `close()`, and the
   * give-up error (e.g. `UNSUPPORTED_PROTOCOL`) while the client has given up, until `connect()`. With a `data` schema,
   * an update whose data fails it is reported as `INVALID_DATA` instead of delivered (see the subscription's `error`).
   * Handles on a job that has not ended share its subscription; one on a job that ended asks the server again.
   */
  subscribe<Id extends string, Data = JobDataOf<Map, Id>>(
    jobId: Id,
    listener?: JobUpdateListener<JobUpdateOf<Data>>,
    options?: SubscribeOptions<Data>,
  ): JobSubscription<JobUpdateOf<Data>>;
  /** Async iterator of the job's snapshot and updates that ends after the terminal update. Throws what {@link subscribe} throws. */
  watch<Id extends string, Data = JobDataOf<Map, Id>>(jobId: Id, options?: WatchOptions<Data>): AsyncIterableIterator<JobUpdateOf<Data>>;
  /** Resolves with the `completed` update; rejects with a typed {@link JobClientError} otherwise (at once for what {@link subscribe} throws, and `INVALID_OPTIONS` for a `timeoutMs` that is not a number >= 0). */
  waitFor<Id extends string, Data = JobDataOf<Map, Id>>(jobId: Id, options?: WaitForOptions<Data>): Promise<JobUpdateOf<Data>>;
  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof JobClientEvents>(event: E, listener: JobClientEvents[E]): () => void;
  /** Connects if disconnected (not started, idle, or given up, which lifts the give-up); a no-op while connecting or reconnecting. */
  connect(): void;
  /** Closes the connection, ends every subscription with `CLOSED`, and leaves no timer behind. Idempotent, and final also when called from one of the client's own listeners. */
  close(): Promise<void>;
  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A request that goes through the pacer. */
type PacedRequest = { kind: 'subscribe'; job: JobSubscriptionState } | { kind: 'unsubscribe'; jobId: string };

const subscribeKey = (jobId: string): string => `subscribe:${jobId}`;
const unsubscribeKey = (jobId: string): string => `unsubscribe:${jobId}`;

/** The first job id a `subscribe-job` reply names (itself, its snapshot or an update) that is not `jobId`, if any. */
function foreignJobId(ack: SubscribeJobOk, jobId: string): string | undefined {
  if (ack.jobId !== jobId) return ack.jobId;
  return [ack.snapshot, ...ack.updates].find((update) => update !== null && update.jobId !== jobId)?.jobId;
}

/** The error a job gets once the client gave up: the connection's error (same code), about that job. */
function gaveUpError(cause: JobClientError, jobId: string): JobClientError {
  return new JobClientError(cause.code, `the job client gave up connecting: ${cause.message}`, { jobId, cause, retryAfterMs: cause.retryAfterMs });
}

/**
 * The client itself; {@link createJobClient} returns it behind the {@link JobClient} interface, whose `Map` and `data`
 * schemas only type `data`: at runtime every update is an update, checked when a schema was given.
 */
class JobClientImpl {
  private readonly events = new EventEmitter<JobClientEvents>();
  private readonly connection: Connection;
  private readonly jobs = new Map<string, JobSubscriptionState>();
  /** Resubscribe timers after a retryable `subscribe-job` error, one per job at most. */
  private readonly jobRetries = new Map<string, { timer: ReturnType<typeof setTimeout> | undefined; attempt: number }>();
  /** Paces `subscribe-job` / `unsubscribe-job` requests on the open socket. */
  private readonly pacer = new RequestPacer<PacedRequest>((request) =>
    request.kind === 'subscribe' ? this.emitSubscribe(request.job) : this.emitUnsubscribe(request.jobId),
  );
  /**
   * Job ids whose subscription the server may hold on the current socket: a `subscribe-job` went out and was not
   * refused (unanswered and timed-out ones included, the server may register them late), or their release was called
   * off because the job is wanted again. Only these need `unsubscribe-job` once their job ended.
   */
  private readonly heldOnServer = new Set<string>();
  private closed = false;
  /** The error the connection gave up with; `subscribe()` fails with it until `connect()`. */
  private gaveUp: JobClientError | undefined;

  constructor(private readonly options: ResolvedJobClientOptions) {
    this.connection = new Connection(options, () => this.hasWantedJobs());
    const { events } = this.connection;
    events.on('state', (state) => this.onState(state));
    events.on('open', () => this.onOpen());
    events.on('lost', () => this.onLost());
    events.on('update', (update) => this.onUpdate(update));
    events.on('expired', (notice) => this.onExpired(notice));
    events.on('notice', (notice) => this.events.emit('notice', notice));
    events.on('error', (error) => this.events.emit('error', error));
    if (options.autoConnect) this.connection.connect();
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  subscribe(jobId: string, listener?: JobUpdateListener, options: SubscribeOptions = {}): JobSubscription {
    const check = checkOf(options);
    return this.open(jobId, listener, check, resumePointOf(options.resumeFrom));
  }

  private open(jobId: string, listener: JobUpdateListener | undefined, check: JobDataCheck | undefined, resumeFrom?: JobResumePoint): JobSubscription {
    if (this.closed) throw new JobClientError('CLOSED', 'the job client is closed', { jobId });
    if (this.gaveUp) throw gaveUpError(this.gaveUp, jobId);
    if (listener !== undefined) assertListener(listener, 'subscribe()');
    const valid = parseWire(JobIdCheck, jobId, 'jobId');
    if (!valid.ok) throw JobClientError.fromProtocol(valid.error, typeof jobId === 'string' ? jobId : undefined);
    let job = this.jobs.get(jobId);
    // A job that ended is asked about again, whatever its outcome: the id may have run again, access may have been
    // granted since, and a call must not get an older answer only because another handle on the job is still open.
    // Those handles keep their outcome on the old state, which leaves the registry here.
    if (!job || job.outcome) {
      job = new JobSubscriptionState(jobId, (gone) => this.onLastHandleGone(gone));
      if (resumeFrom) job.resumeFrom(resumeFrom);
      this.jobs.set(jobId, job);
      // A retry the replaced state left would hold off the new state's own (one timer per job id).
      this.clearJobRetry(jobId);
      // A release not sent yet is called off: the server keeps the subscription and answers the new subscribe like the first one.
      if (this.pacer.remove(unsubscribeKey(jobId))) this.heldOnServer.add(jobId);
      this.sendSubscribe(job);
    }
    const handle = job.addHandle(listener, check);
    if (check) handle.on('error', (error) => this.events.emit('error', error));
    const { state } = this.connection;
    if (state.status === 'disconnected' && (state.reason === 'idle' || state.reason === 'not-started')) this.connection.connect();
    return handle;
  }

  watch(jobId: string, options?: WatchOptions): AsyncIterableIterator<JobUpdate> {
    return watchJob((id, listener, check) => this.open(id, listener, check), jobId, options);
  }

  waitFor(jobId: string, options?: WaitForOptions): Promise<JobUpdate> {
    try {
      return waitForJob((id, listener, check) => this.open(id, listener, check), jobId, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  on<E extends keyof JobClientEvents>(event: E, listener: JobClientEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  connect(): void {
    if (this.closed) throw new JobClientError('CLOSED', 'the job client is closed');
    this.gaveUp = undefined;
    this.connection.connect();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const error = new JobClientError('CLOSED', 'the job client was closed');
    this.connection.close();
    this.failAllJobs(() => error);
    this.events.clear();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private onState(state: ConnectionState): void {
    // Before any listener runs: one that calls connect() from `state` must find the give-up already applied, not undone after it.
    if (state.status === 'disconnected' && state.reason === 'gave-up') this.giveUp(state.error);
    this.events.emit('state', state);
    switch (state.status) {
      case 'connecting':
        this.events.emit('connecting', state);
        break;
      case 'connected':
        this.events.emit('connected', state);
        break;
      case 'reconnecting':
        this.events.emit('reconnecting', state);
        break;
      case 'disconnected':
        this.events.emit('disconnected', state);
        break;
    }
  }

  /** The connection will not come back by itself: end every job with the give-up error and refuse new ones until `connect()`. */
  private giveUp(cause: JobClientError | undefined): void {
    const reason = cause ?? new JobClientError('INTERNAL', 'the job client gave up connecting');
    this.gaveUp = reason;
    this.failAllJobs((jobId) => gaveUpError(reason, jobId));
  }

  /** Drops every job, its retry timer and queued request, and ends each with the error made for it. */
  private failAllJobs(errorFor: (jobId: string) => JobClientError): void {
    this.clearAllJobRetries();
    this.pacer.reset();
    this.heldOnServer.clear();
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.fail(errorFor(job.jobId));
  }

  /** Whether a job still waits for its outcome (subscribed, watched or waited for): then the connection is needed. */
  private hasWantedJobs(): boolean {
    for (const job of this.jobs.values()) if (!job.outcome) return true;
    return false;
  }

  private onOpen(): void {
    for (const job of this.jobs.values()) {
      if (!job.outcome) this.sendSubscribe(job);
    }
  }

  private onLost(): void {
    this.pacer.reset();
    this.clearAllJobRetries();
    this.heldOnServer.clear();
    for (const job of this.jobs.values()) job.beginSync();
  }

  private onUpdate(update: JobUpdate): void {
    const job = this.jobs.get(update.jobId);
    if (!job) return;
    if (job.applyUpdate(update) === 'gap') this.sendSubscribe(job);
    this.releaseIfEnded(job);
  }

  private onExpired(notice: JobExpired): void {
    const job = this.jobs.get(notice.jobId);
    if (!job) return;
    // The server dropped the job's subscriptions with the notice: nothing to release.
    this.heldOnServer.delete(notice.jobId);
    if (job.expire(notice) === 'resubscribe') this.sendSubscribe(job);
    this.releaseIfEnded(job);
  }

  /** Queues `subscribe-job` on the open socket; without one, the next `open` does it. */
  private sendSubscribe(job: JobSubscriptionState): void {
    if (!this.connection.openSocket) return;
    job.beginSync();
    this.pacer.enqueue(subscribeKey(job.jobId), { kind: 'subscribe', job });
  }

  /** Sends `subscribe-job` with `lastSeq` (called by the pacer) and applies the reply. */
  private emitSubscribe(job: JobSubscriptionState): void {
    const socket = this.connection.openSocket;
    if (!socket || this.jobs.get(job.jobId) !== job || job.outcome) {
      queueMicrotask(() => this.pacer.settled());
      return;
    }
    const request: SubscribeJobRequest = { jobId: job.jobId };
    if (job.lastSeq > 0) request.lastSeq = job.lastSeq;
    if (job.epoch !== undefined) request.epoch = job.epoch;
    // A refusal of this request leaves a subscription an earlier one registered (or may register late) in place.
    const heldBefore = this.heldOnServer.has(job.jobId);
    this.heldOnServer.add(job.jobId);
    job.requestSent();
    socket.timeout(this.options.ackTimeoutMs).emit(EventName.SubscribeJob, request, (timeout: Error | null, reply: unknown) => {
      // A reply from a socket that is gone belongs to a pacer that was reset with it.
      if (this.connection.openSocket !== socket) return;
      const parsed = timeout ? undefined : parseWire(SubscribeJobAckCheck, reply, 'subscribe-job reply');
      if (this.jobs.get(job.jobId) !== job || job.outcome) {
        // Nothing wants the reply: the unsubscribe-job sent since (after this request, so the server lets it
        // win over a subscribe still pending) releases whatever the request registered, or, called off because
        // the job is wanted again, leaves it to the new subscription. A subscription registered after the job
        // ended without one (after its `job-expired`, say) is released here, unless the job is wanted again.
        this.pacer.settled();
        const current = this.jobs.get(job.jobId);
        if (parsed?.ok && parsed.value.ok && (!current || current.outcome)) this.sendUnsubscribe(job.jobId);
        return;
      }
      if (!parsed) {
        this.pacer.settled();
        this.retryJob(job, 'TIMEOUT', new JobClientError('TIMEOUT', `no reply to subscribe-job for ${job.jobId}`, { jobId: job.jobId, cause: timeout }));
        return;
      }
      if (!parsed.ok) {
        this.pacer.settled();
        this.retryJob(job, 'INTERNAL', JobClientError.fromProtocol(parsed.error, job.jobId));
        return;
      }
      const ack = parsed.value;
      if (!ack.ok) {
        if (!heldBefore) this.heldOnServer.delete(job.jobId);
        const error = JobClientError.fromProtocol(ack.error, job.jobId);
        if (ack.error.code === 'RATE_LIMITED') {
          this.events.emit('error', error);
          // An `error` listener may have closed the client, resetting the pacer: pausing it now would leave a timer.
          if (this.closed) return;
          this.pacer.throttled(error.retryAfterMs ?? this.options.reconnect.initialDelayMs, { key: subscribeKey(job.jobId), request: { kind: 'subscribe', job } });
          return;
        }
        this.pacer.settled();
        this.retryJob(job, ack.error.code, error);
        return;
      }
      this.pacer.settled();
      const foreign = foreignJobId(ack, job.jobId);
      if (foreign !== undefined) {
        // Applied, another job's snapshot or updates would be delivered (and could end this job): refuse the whole reply.
        this.retryJob(job, 'INTERNAL', new JobClientError('INVALID_PAYLOAD', `subscribe-job reply for ${job.jobId} carries job ${foreign}`, { jobId: job.jobId }));
        return;
      }
      this.heldOnServer.add(job.jobId);
      // A reply that leaves a gap keeps the retry count: a server that answers every time with a gap gets a growing backoff.
      if (job.applyAck(ack) === 'gap') this.retryJob(job, 'INTERNAL', undefined);
      else this.clearJobRetry(job.jobId);
      this.releaseIfEnded(job);
    });
  }

  /** A failed `subscribe-job`: the retry table decides between resubscribing later and ending the job's subscription. */
  private retryJob(job: JobSubscriptionState, trigger: RetryTrigger, error: JobClientError | undefined): void {
    // Called after listeners ran (the updates of an applied reply): one of them may have closed the client.
    if (this.closed) return;
    const rule = retryRuleFor(trigger);
    if (rule.action === 'give-up') {
      job.fail(error ?? new JobClientError('INTERNAL', `subscribing to ${job.jobId} failed`, { jobId: job.jobId }));
      this.releaseIfEnded(job);
      return;
    }
    // Retrying at once is routine, not a problem to report (an `UNSUBSCRIBED` answer for a job still wanted).
    if (error && rule.action !== 'immediately') this.events.emit('error', error);
    if (this.closed) return;
    const previous = this.jobRetries.get(job.jobId);
    if (previous?.timer !== undefined) return;
    const attempt = (previous?.attempt ?? 0) + 1;
    // At once the first time only: a server that answers every subscribe the same way gets a backoff, not a hot loop.
    const action = rule.action === 'stay-disconnected' || (rule.action === 'immediately' && attempt > 1) ? 'backoff' : rule.action;
    const delayMs =
      retryDelayMs(action, {
        attempt,
        retryAfterMs: error?.retryAfterMs,
        backoff: this.options.reconnect,
        random: this.options.random,
      }) ?? 0;
    const entry = { attempt, timer: undefined as ReturnType<typeof setTimeout> | undefined };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.jobs.get(job.jobId) === job && !job.outcome) this.sendSubscribe(job);
    }, delayMs);
    this.jobRetries.set(job.jobId, entry);
  }

  /**
   * Once a job ended its server subscription has nothing left to deliver: release it if the server may hold one
   * (after a terminal update, an applied reply, `gone` included, or an unanswered subscribe), not after `job-expired`
   * or a refused first subscribe.
   */
  private releaseIfEnded(job: JobSubscriptionState): void {
    if (!job.outcome) return;
    // Replaced meanwhile (an `end` listener asked for the job again): the server subscription now serves the new state.
    const current = this.jobs.get(job.jobId);
    if (current !== undefined && current !== job) return;
    this.clearJobRetry(job.jobId);
    if (this.heldOnServer.has(job.jobId)) this.sendUnsubscribe(job.jobId);
  }

  private onLastHandleGone(job: JobSubscriptionState): void {
    if (this.closed || this.jobs.get(job.jobId) !== job) return;
    this.jobs.delete(job.jobId);
    this.pacer.remove(subscribeKey(job.jobId));
    this.clearJobRetry(job.jobId);
    // Also while its subscribe-job is unanswered: the server lets this later unsubscribe win over it.
    if (!job.outcome) this.sendUnsubscribe(job.jobId);
  }

  private clearAllJobRetries(): void {
    for (const retry of this.jobRetries.values()) clearTimeout(retry.timer);
    this.jobRetries.clear();
  }

  private clearJobRetry(jobId: string): void {
    const retry = this.jobRetries.get(jobId);
    if (retry) clearTimeout(retry.timer);
    this.jobRetries.delete(jobId);
  }

  /** Queues `unsubscribe-job` on the open socket; without one there is no server subscription to release. */
  private sendUnsubscribe(jobId: string): void {
    this.heldOnServer.delete(jobId);
    if (!this.connection.openSocket) return;
    this.pacer.enqueue(unsubscribeKey(jobId), { kind: 'unsubscribe', jobId });
  }

  private emitUnsubscribe(jobId: string): void {
    const socket = this.connection.openSocket;
    if (!socket) {
      queueMicrotask(() => this.pacer.settled());
      return;
    }
    socket.timeout(this.options.ackTimeoutMs).emit(EventName.UnsubscribeJob, { jobId }, (timeout: Error | null, reply: unknown) => {
      if (this.connection.openSocket !== socket) return;
      const parsed = timeout ? undefined : parseWire(UnsubscribeJobAckCheck, reply, 'unsubscribe-job reply');
      if (parsed && !parsed.ok) this.events.emit('error', JobClientError.fromProtocol(parsed.error, jobId));
      const refused = parsed?.ok && !parsed.value.ok ? parsed.value.error : undefined;
      if (refused?.code === 'RATE_LIMITED') {
        const retryAfterMs = refused.retryAfterMs ?? this.options.reconnect.initialDelayMs;
        const wanted = this.jobs.get(jobId);
        if (wanted && !wanted.outcome) {
          // Subscribed to again meanwhile: the refused release changed nothing, and retrying it would end the new subscription.
          this.heldOnServer.add(jobId);
          this.pacer.throttled(retryAfterMs);
          return;
        }
        this.pacer.throttled(retryAfterMs, { key: unsubscribeKey(jobId), request: { kind: 'unsubscribe', jobId } });
        return;
      }
      // Any other refusal means there was nothing left to release.
      this.pacer.settled();
    });
  }
}

/**
 * Creates a job client: one self-healing connection, any number of job subscriptions; `Map` types each job's `data` by job id. It opens nothing until the
 * first `subscribe()`, `watch()`, `waitFor()` or `connect()` (unless `autoConnect: true`), so it is safe at module scope.
 * Throws `JobClientError` `INVALID_OPTIONS` naming a bad option.
 * @example
 * const client = createJobClient({ url: 'https://jobs.example.com', auth: () => getToken() });
 * const done = await client.waitFor('export-42', { timeoutMs: 60_000 });
 */
export function createJobClient<Map extends object = JobDataMap>(options: JobClientOptions): JobClient<Map> {
  return new JobClientImpl(resolveJobClientOptions(options)) as unknown as JobClient<Map>;
}
