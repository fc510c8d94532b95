import type { ClientToServerEvents, JobDataMap, JobDataOf, JobUpdateInputOf, JobUpdateOf, ServerToClientEvents } from '@org/ws-protocol';
import type { Server } from 'socket.io';
import type { HealthCheck, JobServerHealth } from './health';
import type { JobStatusCounts } from './jobs/job-store';
import type { SweepResult } from './lifecycle/sweeper';
import type { CloseOptions } from './options';
import type { JobServerEventName, JobServerListener } from './server-events';
import type { JobServerCounters, JobServerStats } from './stats';

/** The Socket.IO server type a job server works with. */
export type JobIoServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** Where `listen` binds. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number | undefined;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string | undefined;
}

/**
 * Operations the sweep runs, exposed for a memory monitor's remediation and for operators. Once `close()` has
 * started they do nothing: the async ones resolve 0 (`sweep()` all zeros) without touching connections or the store.
 */
export interface JobServerMaintenance {
  /** Tells connections idle past `session.idleTimeoutMs` (`idle`) or inactive past `session.maxInactivityMs` (`session-expired`), then disconnects them; resolves how many. */
  disconnectInactive(): Promise<number>;
  /**
   * Drops stale jobs (subscribers get `job-expired`) and finished jobs past retention that nobody here watches; resolves
   * how many. Asks the store for all of them at once (`MemoryJobStore`) or 500 of each kind at a time (other stores),
   * again while a batch comes back full and dropped something, and stops once `close()` starts. A job that could not be
   * dropped is left for the next sweep: the failures of one call are reported once (`error` event, context `sweep.purge`).
   */
  purgeStaleJobs(): Promise<number>;
  /** Drops rate-limit buckets that refilled completely; returns how many. */
  purgeRateLimits(): number;
  /** Runs all three, as the periodic sweep does. */
  sweep(): Promise<SweepResult>;
  /**
   * Starts shedding load for `reason` (e.g. your own event-loop-lag signal): new connections and new subscriptions are
   * refused with `OVERLOADED` and a `retryAfterMs`, `health()` is `degraded` with `overloaded:<reason>`, existing
   * subscribers keep receiving. Idempotent per reason.
   */
  startShedding(reason: string): void;
  /** Ends what `startShedding(reason)` began; the server accepts load again once no reason is left (a hold of `reason` keeps it). */
  stopShedding(reason: string): void;
  /**
   * Sheds load for `reason` as `startShedding` does, until the returned function is called (calling that again does
   * nothing): one hold among any number of `reason`, so that independent signals (two memory monitors) each end only
   * their own. Unlike `startShedding`, every call takes a new hold, which only its own release ends.
   */
  holdShedding(reason: string): () => void;
  /** Why the server sheds load now (`heap` for `limits.overload.heapUsedBytes`, `heap-alert` for a memory monitor), in the order the reasons began; empty when it does not. */
  sheddingReasons(): string[];
  /** How many connections `disconnectInactive` would drop now (read-only; a memory monitor's inactive ratio). */
  inactiveConnections(): number;
  /** Jobs per status as far as this process knows, or `null` when the store cannot count them (read-only). */
  jobsByStatus(): JobStatusCounts | null;
  /** The largest number of bytes Engine.IO queued for one connection and has not written yet (read-only; approximate, see `limits.outbound`). */
  pendingOutboundBytes(): number;
}

/** A running job-progress server; `Map` types each job's `data` by job id (see `JobDataMap`). */
export interface JobServer<Map extends object = JobDataMap> {
  /** The Socket.IO server (created, or the one given in options). */
  readonly io: JobIoServer;
  /** Starts listening when the server owns (or was given) an HTTP server that is not listening yet; resolves the port. Rejects with `JobServerOptionsError` for a `port` or `host` Node could not bind as meant. */
  listen(options?: ListenOptions): Promise<number>;
  /** Publishes an update: validates, assigns `seq`, stores it and fans it out to the job's subscribers. Rejects with `JobProtocolError`. */
  update<Id extends string>(jobId: Id, input: JobUpdateInputOf<JobDataOf<Map, Id>>): Promise<JobUpdateOf<JobDataOf<Map, Id>>>;
  /** The job's latest update, or `null`. */
  getJob<Id extends string>(jobId: Id): Promise<JobUpdateOf<JobDataOf<Map, Id>> | null>;
  /** Size of every registry; all zero after `close()`. */
  stats(): JobServerStats;
  /** Totals of refused and noticed things since creation. */
  counters(): JobServerCounters;
  /** Health for an operator's probe. */
  health(): JobServerHealth;
  /** Adds reasons to `health()` (it reports `degraded` while the check returns any); returns the function that removes the check. */
  addHealthCheck(check: HealthCheck): () => void;
  /** Observes a lifecycle event; returns the function that stops observing. */
  on<E extends JobServerEventName>(event: E, listener: JobServerListener<E>): () => void;
  /**
   * Graceful, idempotent shutdown: `shutdown` notices, wait for acks or the deadline, disconnect all, let a
   * running sweep or purge (the application's too) finish, clear every timer. `timeoutMs: 0` sends the notices and waits for no ack. Rejects with
   * `JobServerOptionsError` (and starts nothing) when `timeoutMs` is not a whole number of ms from 0 to 2^31 - 1.
   */
  close(options?: CloseOptions): Promise<void>;
  /** Sweep operations, callable on demand. */
  readonly maintenance: JobServerMaintenance;
  /** `await using server = createJobServer()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A job server whatever its data map (`update` and `getJob` aside): what the memory monitor and the metrics take. */
export type AnyJobServer = Omit<JobServer, 'update' | 'getJob'>;
