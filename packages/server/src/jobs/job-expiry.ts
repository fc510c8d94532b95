import { EventName } from '@org/ws-protocol';
import type { JobIoServer } from '../job-server-api';
import type { ServerPhase } from '../lifecycle/server-phase';
import type { JobServerLogger } from '../logger';
import type { ResolvedJobServerOptions } from '../options';
import { EXPIRED_BATCH, type ExpiredJob, type JobStore } from './job-store';
import { MemoryJobStore } from './memory-job-store';
import type { Subscriptions } from './subscriptions';

/** What the expiry of jobs needs from the server. */
export interface JobExpiryDeps {
  phase: ServerPhase;
  now: () => number;
  store: JobStore;
  io: JobIoServer;
  subscriptions: Subscriptions;
  sweep: Pick<ResolvedJobServerOptions['sweep'], 'staleJobMs' | 'finishedJobRetentionMs'>;
  /** Whether a connection of this node watches the job (a finished job stays while one does). */
  isWatched: (jobId: string) => boolean;
  /** This node dropped a stale job and told its watchers (e.g. to tell the other nodes of a cluster). */
  onExpired: (jobId: string, lastSeq: number) => void;
  onStoreResult: (ok: boolean) => void;
  logger: Required<JobServerLogger>;
  reportError: (error: unknown, context: string) => void;
}

/** Owns the job-expiry path: finds stale and retained-too-long jobs in the store, drops them, and tells a stale job's watchers. */
export class JobExpiry {
  readonly #deps: JobExpiryDeps;
  /** A memory store finds every expired job in one scan of its map: asking it 500 at a time would scan it again per batch. */
  readonly #batch: number | undefined;
  /** Purges under way (the sweep's or the application's), each settling without rejecting, so that `close()` can wait for them. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(deps: JobExpiryDeps) {
    this.#deps = deps;
    this.#batch = deps.store instanceof MemoryJobStore ? undefined : EXPIRED_BATCH;
  }

  /** Drops every expired job, batch by batch while batches come back full; resolves how many this node dropped. See `JobServerMaintenance.purgeStaleJobs`. */
  readonly purgeStaleJobs = (): Promise<number> => {
    const purge = this.#purgeAll();
    const settled: Promise<void> = purge.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return purge;
  };

  /** Resolves once every purge under way now has settled (the store and the cluster must outlive them). */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  async #purgeAll(): Promise<number> {
    const { phase, logger, reportError } = this.#deps;
    let purged = 0;
    const failures: unknown[] = [];
    // Checked before every batch: close() must not wait for the rest of a long backlog.
    while (phase.running) {
      const expired = await this.#findExpired();
      if (!phase.running) break;
      // Every drop settles, so that one failure neither hides what the others dropped nor leaves them running unseen.
      const outcomes = await Promise.allSettled(expired.map((job) => this.#purge(job)));
      const dropped = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value).length;
      purged += dropped;
      for (const outcome of outcomes) if (outcome.status === 'rejected') failures.push(outcome.reason);
      // Another batch only while one came back full and dropped something, and nothing failed (the store may be away).
      if (failures.length > 0 || dropped === 0 || !(this.#full(expired, 'stale') || this.#full(expired, 'finished'))) break;
    }
    if (purged > 0) logger.info({ purged }, 'job server: purged expired jobs');
    if (failures.length > 0) reportError(new AggregateError(failures, `${failures.length} expired job(s) could not be dropped`), 'sweep.purge');
    return purged;
  }

  async #findExpired(): Promise<ExpiredJob[]> {
    const { store, now, sweep, isWatched, onStoreResult } = this.#deps;
    try {
      const expired = await store.findExpired({
        now: now(),
        staleJobMs: sweep.staleJobMs,
        finishedJobRetentionMs: sweep.finishedJobRetentionMs,
        limit: this.#batch,
        keep: isWatched,
      });
      onStoreResult(true);
      return expired;
    } catch (error) {
      onStoreResult(false);
      throw error;
    }
  }

  #full(expired: ExpiredJob[], kind: ExpiredJob['kind']): boolean {
    return this.#batch !== undefined && expired.filter((job) => job.kind === kind).length >= this.#batch;
  }

  /**
   * Another node expired a stale job: this node tells its own watchers and drops their subscriptions. Each node tells
   * its own, because a room broadcast from the expiring node and its announcement may travel on different channels
   * (sharded fan-out), and the announcement could arrive first and end the subscriptions the broadcast was meant for.
   */
  readonly expiredElsewhere = (jobId: string, lastSeq: number): void => {
    const { subscriptions, io } = this.#deps;
    subscriptions.expire(jobId, lastSeq, (room, roomLastSeq) => {
      io.local.to(room).emit(EventName.JobExpired, { jobId, lastSeq: roomLastSeq, reason: 'stale' });
    });
  };

  /** The store lost a job this node's sockets watch: they get `job-expired` (`gone`) and their subscriptions end. */
  readonly lost = (jobId: string): void => {
    const { subscriptions, io } = this.#deps;
    subscriptions.expire(jobId, 0, (room, lastSeq) => {
      io.local.to(room).emit(EventName.JobExpired, { jobId, lastSeq, reason: 'gone' });
    });
  };

  /** Drops one job the sweep found; resolves whether this node dropped it. */
  async #purge(job: ExpiredJob): Promise<boolean> {
    const { store, io, subscriptions, isWatched, onExpired } = this.#deps;
    // Checked again: a store may report kept jobs anyway (see `ExpiryRule.keep`), and one may have been subscribed since.
    if (job.kind === 'finished' && isWatched(job.jobId)) return false;
    if (!(await store.delete(job.jobId, job.lastSeq))) return false;
    if (job.kind === 'stale') {
      subscriptions.expire(job.jobId, job.lastSeq, (room, lastSeq) => {
        io.local.to(room).emit(EventName.JobExpired, { jobId: job.jobId, lastSeq, reason: 'stale' });
      });
      // The other nodes tell their own watchers (see `expiredElsewhere`).
      onExpired(job.jobId, job.lastSeq);
    }
    return true;
  }
}
