import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  EventName,
  JobIdSchema,
  JobProtocolError,
  protocolError,
  type ClientToServerEvents,
  type JobUpdate,
  type JobUpdateInput,
  type NoticeReason,
  type ServerToClientEvents,
  type TimeoutNotice,
} from '@org/ws-protocol';
import { Server } from 'socket.io';
import { attachClientEvents, type ClientEventDeps } from './lifecycle/client-events';
import type { ConnectionCounter } from './lifecycle/connection-counter';
import { ConnectionRegistry, type ConnectionRecord, type JobSocket } from './lifecycle/connection-registry';
import { createHandshakeMiddleware, type Admission } from './lifecycle/handshake';
import { HealthReasons, type HealthCheck, type JobServerHealth } from './health';
import { HeartbeatMonitor } from './lifecycle/heartbeat';
import { attachReversibly } from './http/http-attachment';
import { IntervalTimer } from './lifecycle/interval-timer';
import { IpConnectionLimit } from './lifecycle/ip-limit';
import { JobCountsRefresher } from './jobs/job-counts-refresher';
import { jobRoom } from './jobs/job-rooms';
import { EXPIRED_BATCH, type ExpiredJob, type JobStatusCounts, type JobStore } from './jobs/job-store';
import { safeLogger } from './logger';
import { MemoryJobStore } from './jobs/memory-job-store';
import { NoticeTracker } from './lifecycle/notices';
import { resolveCloseTimeoutMs, resolveOptions, type CloseOptions, type JobServerOptions } from './options';
import { TokenBucketLimiter } from './lifecycle/rate-limit';
import { RedisCluster } from './redis/redis-cluster';
import { ServerEvents, type JobServerEventName, type JobServerListener } from './server-events';
import { spreadRetryAfterMs, withDeadline } from './lifecycle/shutdown';
import { copyCounters, countBy, emptyCounters, type JobServerCounters, type JobServerStats } from './stats';
import { Subscriptions } from './jobs/subscriptions';
import { parseUpdateRequest, storeFailure } from './jobs/update-request';
import { Sweeper, type SweepResult } from './lifecycle/sweeper';

/** The Socket.IO server type a job server works with. */
export type JobIoServer = Server<ClientToServerEvents, ServerToClientEvents>;

/** Where `listen` binds. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
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
  /** How many connections `disconnectInactive` would drop now (read-only; a memory monitor's inactive ratio). */
  inactiveConnections(): number;
  /** Jobs per status as far as this process knows, or `null` when the store cannot count them (read-only). */
  jobsByStatus(): JobStatusCounts | null;
}

/** A running job-progress server. */
export interface JobServer {
  /** The Socket.IO server (created, or the one given in options). */
  readonly io: JobIoServer;
  /** Starts listening when the server owns (or was given) an HTTP server that is not listening yet; resolves the port. */
  listen(options?: ListenOptions): Promise<number>;
  /** Publishes an update: validates, assigns `seq`, stores it and fans it out to the job's subscribers. Rejects with `JobProtocolError`. */
  update(jobId: string, input: JobUpdateInput): Promise<JobUpdate>;
  /** The job's latest update, or `null`. */
  getJob(jobId: string): Promise<JobUpdate | null>;
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
   * running sweep finish, clear every timer. `timeoutMs: 0` sends the notices and waits for no ack. Rejects with
   * `JobServerOptionsError` (and starts nothing) when `timeoutMs` is not a whole number of ms from 0 to 2^31 - 1.
   */
  close(options?: CloseOptions): Promise<void>;
  /** Sweep operations, callable on demand. */
  readonly maintenance: JobServerMaintenance;
  /** `await using server = createJobServer()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

type State = 'running' | 'closing' | 'closed';

/** Shortest period of the heartbeat/notice ticker, so that tiny test timeouts cannot make it spin. */
const MIN_TICK_MS = 10;

/**
 * Creates a job-progress server with a leak-proof connection lifecycle (SPEC §2).
 * @throws JobServerOptionsError when an option is invalid.
 * @example
 * const server = createJobServer({ httpServer });
 * await server.update('export-42', { status: 'running', progress: 10 });
 */
export function createJobServer(options: JobServerOptions = {}): JobServer {
  const opts = resolveOptions(options);
  const now = opts.now;
  const logger = safeLogger(opts.logger);
  const createdAt = now();
  let state: State = 'running';
  let closing: Promise<void> | undefined;
  let deadlineArmed = false;

  const counters = emptyCounters();
  const healthReasons = new HealthReasons();
  const reportError = (error: unknown, context: string): void => {
    // After close() resolved nothing is reported any more (e.g. a sweep that outlived the shutdown deadline).
    if (state === 'closed') {
      logger.debug({ err: error, context }, `job server: ${context} failed after close (not reported)`);
      return;
    }
    counters.internalErrors += 1;
    logger.error({ err: error, context }, `job server: ${context} failed`);
    if (!context.startsWith('listener')) events.emit('error', { error, context });
  };
  const events = new ServerEvents((error, event) => reportError(error, `listener of ${event}`));
  const onStoreResult = (ok: boolean): void => (ok ? healthReasons.recover('store-unavailable') : healthReasons.fail('store-unavailable'));

  const ownsIo = opts.io === undefined;
  const ownsHttp = ownsIo && opts.httpServer === undefined;
  const httpServer: HttpServer | undefined = opts.io ? undefined : (opts.httpServer ?? createServer());
  const createIo = (): JobIoServer => new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, opts.socketIoOptions);
  // On the application's HTTP server, Socket.IO's listeners must come off again at close (see `close`).
  const attachment = !opts.io && opts.httpServer ? attachReversibly(opts.httpServer, createIo) : undefined;
  const io: JobIoServer = opts.io ?? attachment?.attached ?? createIo();
  const tickMs = Math.max(MIN_TICK_MS, Math.min(opts.heartbeat.intervalMs, opts.heartbeat.timeoutMs, opts.session.noticeGraceMs));
  /** Leaves Socket.IO off the application's HTTP server again when constructing the rest throws. */
  const abandonAttach = (): void => {
    if (!ownsIo) return;
    io.engine.close();
    attachment?.detach();
  };
  function createCluster(redis: NonNullable<typeof opts.redis>): RedisCluster {
    return new RedisCluster({
      io,
      redis,
      maxConnectionsPerIp: opts.limits.maxConnectionsPerIp,
      bufferSize: opts.jobs.bufferSize,
      staleJobMs: opts.sweep.staleJobMs,
      finishedJobRetentionMs: opts.sweep.finishedJobRetentionMs,
      now,
      tickMs,
      health: healthReasons,
      logger,
      onStoreRecovered: opts.store ? undefined : () => onStoreResult(true),
      // The node that expired the job already told the room (cluster-wide); here only the local records go.
      onExpiredElsewhere: (jobId, lastSeq) => subscriptions.expire(jobId, lastSeq, () => undefined),
    });
  }
  let cluster: RedisCluster | undefined;
  try {
    cluster = opts.redis ? createCluster(opts.redis) : undefined;
  } catch (error) {
    // E.g. `redis` without @socket.io/redis-adapter installed (the only step below the attach that can throw:
    // the options were all checked above); the cluster throws before it opens any Redis connection.
    abandonAttach();
    throw error;
  }
  const store: JobStore = opts.store ?? cluster?.store ?? new MemoryJobStore({ bufferSize: opts.jobs.bufferSize });

  const registry = new ConnectionRegistry();
  const ipLimit: ConnectionCounter = cluster?.connections ?? new IpConnectionLimit(opts.limits.maxConnectionsPerIp);
  const limiter = new TokenBucketLimiter(opts.limits.rateLimit);
  const notices = new NoticeTracker(now);
  const admissions = new WeakMap<JobSocket, Admission>();
  const closeReasons = new WeakMap<ConnectionRecord, string>();
  const subscriptions = new Subscriptions({ registry, store, authorize: opts.authorizeSubscribe, events, onError: reportError, onStoreResult });

  /** Ends a connection from the server side, recording why for the `disconnect` event. */
  const drop = (record: ConnectionRecord, reason: string): void => {
    if (!closeReasons.has(record)) closeReasons.set(record, reason);
    record.socket.disconnect(true);
  };

  const heartbeat = new HeartbeatMonitor({
    ...opts.heartbeat,
    now,
    connections: () => registry.values(),
    onDead: (record) => {
      counters.heartbeatTimeouts += 1;
      logger.info({ socketId: record.id, ip: record.ip }, 'job server: heartbeat unanswered, dropping connection');
      drop(record, 'heartbeat-timeout');
    },
    onInvalidAnswer: () => {
      counters.invalidHeartbeatAnswers += 1;
    },
  });
  const countsRefresher = new JobCountsRefresher(store, (error) => reportError(error, 'store.refreshCounts'));
  const ticker = new IntervalTimer(tickMs, () => {
    heartbeat.tick();
    notices.tick();
    cluster?.tick();
    countsRefresher.tick();
  });

  /** Sends a notice, waits for its ack or deadline, then disconnects (unless a newer notice took over). */
  // Connections already told to leave: a flood that goes on between the notice's ack and the disconnect
  // must not earn them a second notice (weak, so it holds nothing once the record is gone).
  const leaving = new WeakSet<ConnectionRecord>();

  const noticeAndDisconnect = async (record: ConnectionRecord, notice: TimeoutNotice, deadline?: number): Promise<void> => {
    leaving.add(record);
    counters.noticesSent += 1;
    countBy(counters.noticesSentByReason, notice.reason);
    events.emit('notice', { socketId: record.id, notice });
    logger.info({ socketId: record.id, notice }, 'job server: notice sent');
    const outcome = await notices.send(record, notice, deadline);
    if (outcome !== 'superseded') drop(record, notice.reason);
  };

  const notify = (record: ConnectionRecord, reason: NoticeReason, extra: { reconnect: boolean; retryAfterMs?: number }): Promise<void> =>
    noticeAndDisconnect(record, { reason, graceMs: opts.session.noticeGraceMs, ...extra });

  /** Removes every trace of a connection; safe to call more than once. */
  const release = (record: ConnectionRecord, socketReason: string): void => {
    if (registry.remove(record.id) !== record) return;
    limiter.delete(record.id);
    heartbeat.forget(record.id);
    notices.forget(record.id);
    ipLimit.release(record.ip);
    const reason = closeReasons.get(record) ?? socketReason;
    logger.debug({ socketId: record.id, ip: record.ip, reason }, 'job server: connection closed');
    const { connectedAt, lastActivityAt, lastAliveAt } = record;
    events.emit('disconnect', { socketId: record.id, ip: record.ip, reason, connectedAt, lastActivityAt, lastAliveAt });
  };

  const handshake = createHandshakeMiddleware({
    accepting: () => state === 'running',
    ipLimit,
    trustProxy: opts.limits.trustProxy,
    authenticate: opts.authenticate,
    admissions,
    onRefused: (error, ip) => {
      counters.refusedConnections += 1;
      countBy(counters.refusedConnectionsByCode, error.code);
      logger.warn({ ip, code: error.code }, `job server: connection refused: ${error.message}`);
    },
    onHookError: (error) => reportError(error, 'authenticate'),
  });

  // Shared by every connection: per-socket state lives in its record, so that a connection costs no
  // closures beyond the one packet gate (measured by `pnpm bench`: memory per idle connection).
  const clientEventDeps: ClientEventDeps = {
    now,
    limiter,
    abuseStrikes: opts.limits.rateLimit.abuseStrikes,
    counters,
    handlers: {
      [EventName.SubscribeJob]: (r, payload) => subscriptions.subscribe(r, payload),
      [EventName.UnsubscribeJob]: (r, payload) => subscriptions.unsubscribe(r, payload),
    },
    onAbuse: (r) => {
      if (leaving.has(r)) return;
      logger.warn({ socketId: r.id, ip: r.ip }, 'job server: persistent event flood, disconnecting');
      void notify(r, 'rate-limited', { reconnect: true, retryAfterMs: limiter.msUntilFull(r.id, now()) });
    },
    onError: reportError,
  };
  function onSocketDisconnect(this: JobSocket, reason: string): void {
    const record = registry.get(this.id);
    if (record?.socket === this) release(record, reason);
  }
  // Socket.IO reports a frame it cannot decode here, then closes the transport (which releases the record).
  function onSocketError(this: JobSocket, error: Error): void {
    const record = registry.get(this.id);
    if (record?.socket !== this) return;
    counters.malformedPackets += 1;
    closeReasons.set(record, 'malformed-packet');
    logger.warn({ socketId: record.id, ip: record.ip, err: error }, 'job server: undecodable packet, dropping connection');
  }

  const onConnection = (socket: JobSocket): void => {
    const admission = admissions.get(socket);
    if (!admission) {
      // Only possible when the application's own middleware admitted a socket before ours ran.
      socket.disconnect(true);
      return;
    }
    admissions.delete(socket);
    admission.claim();
    if (state !== 'running') {
      ipLimit.release(admission.ip);
      socket.disconnect(true);
      return;
    }
    const at = now();
    const record: ConnectionRecord = {
      id: socket.id,
      socket,
      ip: admission.ip,
      principal: admission.principal,
      connectedAt: at,
      lastActivityAt: at,
      lastAliveAt: at,
      subscriptions: new Set(),
    };
    registry.add(record);
    socket.on('disconnect', onSocketDisconnect);
    socket.on('error', onSocketError);
    attachClientEvents(record, clientEventDeps);
    logger.debug({ socketId: socket.id, ip: admission.ip }, 'job server: connection accepted');
    events.emit('connection', { socketId: socket.id, ip: admission.ip, principal: admission.principal });
  };

  io.use(handshake);
  io.on('connection', onConnection);

  /** The notice an inactive connection is due at `at`, or `undefined` while it is active enough. */
  const inactivityReason = (record: ConnectionRecord, at: number): 'session-expired' | 'idle' | undefined => {
    const inactiveMs = at - record.lastActivityAt;
    if (inactiveMs >= opts.session.maxInactivityMs) return 'session-expired';
    if (record.subscriptions.size === 0 && inactiveMs >= opts.session.idleTimeoutMs) return 'idle';
    return undefined;
  };

  /** A finished job stays while someone here still watches it (a stale one goes, and its watchers are told). */
  const isWatched = (jobId: string): boolean => registry.subscriberCount(jobId) > 0;
  // A memory store finds every expired job in one scan of its map: asking it 500 at a time would scan it again per batch.
  const expiredBatch = store instanceof MemoryJobStore ? undefined : EXPIRED_BATCH;

  /** Drops one job the sweep found; resolves whether this node dropped it. */
  const purgeExpiredJob = async (job: ExpiredJob): Promise<boolean> => {
    // Checked again: a store may report kept jobs anyway (see `ExpiryRule.keep`), and one may have been subscribed since.
    if (job.kind === 'finished' && isWatched(job.jobId)) return false;
    if (!(await store.delete(job.jobId, job.lastSeq))) return false;
    if (job.kind === 'stale') {
      subscriptions.expire(job.jobId, job.lastSeq, (room, lastSeq) => {
        io.to(room).emit(EventName.JobExpired, { jobId: job.jobId, lastSeq, reason: 'stale' });
      });
      cluster?.announceExpired(job.jobId, job.lastSeq);
    }
    return true;
  };

  const maintenance: JobServerMaintenance = {
    async disconnectInactive() {
      if (state !== 'running') return 0;
      const at = now();
      const pending: Promise<void>[] = [];
      for (const record of registry.values()) {
        if (notices.has(record.id)) continue;
        const reason = inactivityReason(record, at);
        if (reason) pending.push(notify(record, reason, { reconnect: reason === 'session-expired' }));
      }
      await Promise.all(pending);
      return pending.length;
    },
    async purgeStaleJobs() {
      let purged = 0;
      const failures: unknown[] = [];
      // Checked before every batch: close() must not wait for the rest of a long backlog.
      while (state === 'running') {
        let expired: ExpiredJob[];
        try {
          expired = await store.findExpired({
            now: now(),
            staleJobMs: opts.sweep.staleJobMs,
            finishedJobRetentionMs: opts.sweep.finishedJobRetentionMs,
            limit: expiredBatch,
            keep: isWatched,
          });
          onStoreResult(true);
        } catch (error) {
          onStoreResult(false);
          throw error;
        }
        if (state !== 'running') break;
        // Every drop settles, so that one failure neither hides what the others dropped nor leaves them running unseen.
        const outcomes = await Promise.allSettled(expired.map(purgeExpiredJob));
        const dropped = outcomes.filter((outcome) => outcome.status === 'fulfilled' && outcome.value).length;
        purged += dropped;
        for (const outcome of outcomes) if (outcome.status === 'rejected') failures.push(outcome.reason);
        const full = (kind: ExpiredJob['kind']): boolean =>
          expiredBatch !== undefined && expired.filter((job) => job.kind === kind).length >= expiredBatch;
        // Another batch only while one came back full and dropped something, and nothing failed (the store may be away).
        if (failures.length > 0 || dropped === 0 || !(full('stale') || full('finished'))) break;
      }
      if (purged > 0) logger.info({ purged }, 'job server: purged expired jobs');
      if (failures.length > 0) reportError(new AggregateError(failures, `${failures.length} expired job(s) could not be dropped`), 'sweep.purge');
      return purged;
    },
    purgeRateLimits() {
      return limiter.purgeExpired(now());
    },
    async sweep() {
      if (state !== 'running') return { disconnected: 0, purgedJobs: 0, purgedRateLimits: 0 };
      const purgedRateLimits = maintenance.purgeRateLimits();
      const [purgedJobs, disconnected] = await Promise.all([maintenance.purgeStaleJobs(), maintenance.disconnectInactive()]);
      return { disconnected, purgedJobs, purgedRateLimits };
    },
    inactiveConnections() {
      const at = now();
      let inactive = 0;
      for (const record of registry.values()) if (inactivityReason(record, at)) inactive += 1;
      return inactive;
    },
    jobsByStatus() {
      return store.countByStatus?.() ?? null;
    },
  };

  const sweeper = new Sweeper(
    opts.sweep.intervalMs,
    async () => {
      try {
        const result = await maintenance.sweep();
        healthReasons.recover('sweep-failed');
        return result;
      } catch (error) {
        healthReasons.fail('sweep-failed');
        throw error;
      }
    },
    (error) => reportError(error, 'sweep'),
  );
  ticker.start();
  sweeper.start();

  const close = async (timeoutMs: number): Promise<void> => {
    state = 'closing';
    ticker.stop();
    const sweepSettled = sweeper.stop();
    const refreshSettled = countsRefresher.stop();
    const records = [...registry.values()];
    const deadline = now() + timeoutMs;
    const noticed = records.map((record, index) =>
      noticeAndDisconnect(
        record,
        { reason: 'shutdown', graceMs: timeoutMs, reconnect: true, retryAfterMs: spreadRetryAfterMs(index, records.length, opts.shutdown.retryWindowMs) },
        deadline,
      ),
    );
    if (noticed.length > 0 && timeoutMs > 0) {
      await withDeadline(Promise.all(noticed), timeoutMs, (armed) => {
        deadlineArmed = armed;
      });
    }
    for (const record of [...registry.values()]) drop(record, 'shutdown');
    if (ownsHttp) {
      await io.close();
    } else if (ownsIo) {
      // Leave the application's HTTP server running: close only what Socket.IO added to it. A later job server on it
      // may keep our request wrapper inside its own (see `attachReversibly`): the closed engine must refuse handshakes.
      io.engine.opts.allowRequest = (_request, callback) => callback('the job server is closed', false);
      io.engine.close();
      await io.of('/').adapter.close();
      // Otherwise engine.io would keep answering /socket.io/ on it, and a new job server could not attach.
      attachment?.detach();
    } else {
      io.off('connection', onConnection);
    }
    // The sweep uses the store and the cluster: it must not fail (and report it) after they are closed,
    // but a store call that never returns must not hold the shutdown past its deadline either.
    const sweepOutcome = await withDeadline(sweepSettled, Math.max(1, deadline - now()), (armed) => {
      deadlineArmed = armed;
    });
    if (sweepOutcome === 'deadline') logger.warn({ timeoutMs }, 'job server: closing while a sweep is still running past the shutdown deadline');
    // Likewise a job-count refresh (its failure from now on is not reported: the store may be closing under it).
    const refreshOutcome = await withDeadline(refreshSettled, Math.max(1, deadline - now()), (armed) => {
      deadlineArmed = armed;
    });
    if (refreshOutcome === 'deadline') logger.warn({ timeoutMs }, 'job server: closing while a job-count refresh is still running past the shutdown deadline');
    // A store passed in options belongs to the application (it may outlive this server, e.g. across a restart).
    if (opts.store === undefined) {
      try {
        await store.close?.();
      } catch (error) {
        reportError(error, 'store.close');
      }
    }
    await cluster?.close();
    state = 'closed';
    logger.info({}, 'job server: closed');
  };

  const server: JobServer = {
    io,
    async listen(listenOptions = {}) {
      if (!httpServer) throw new Error('listen() needs an HTTP server: this job server was attached to an existing Socket.IO server');
      if (state !== 'running') throw new Error('listen() after close()');
      if (!httpServer.listening) {
        await new Promise<void>((resolve, reject) => {
          httpServer.once('error', reject);
          httpServer.listen(listenOptions.port ?? 0, listenOptions.host ?? '127.0.0.1', () => {
            httpServer.off('error', reject);
            resolve();
          });
        });
      }
      return (httpServer.address() as AddressInfo).port;
    },
    async update(jobId, input) {
      // Still accepted while closing: with a shared store, other processes keep serving these jobs.
      if (state === 'closed') throw new JobProtocolError(protocolError(ErrorCode.SHUTTING_DOWN, 'the job server is closed'));
      const request = parseUpdateRequest(jobId, input);
      let update: JobUpdate;
      try {
        update = await store.append(request.jobId, request.input, now());
        onStoreResult(true);
      } catch (error) {
        if (!(error instanceof JobProtocolError)) onStoreResult(false);
        throw storeFailure(error);
      }
      const at = now();
      // Receiving updates keeps a watcher "active", so it is not dropped as idle mid-job.
      for (const record of registry.subscribersOf(update.jobId)) record.lastActivityAt = at;
      io.to(jobRoom(update.jobId)).emit(EventName.JobUpdate, update);
      return update;
    },
    async getJob(jobId) {
      if (!JobIdSchema.safeParse(jobId).success) return null;
      try {
        return await store.get(jobId);
      } catch (error) {
        throw storeFailure(error);
      }
    },
    stats() {
      return {
        connections: registry.size,
        connectionsByIp: ipLimit.size,
        jobs: store.size(),
        subscriptions: registry.subscriptionCount,
        rateLimitRecords: limiter.size,
        watchedJobs: registry.watchedJobCount,
        pendingHeartbeats: heartbeat.pendingCount,
        pendingNotices: notices.size,
        pendingAcks: heartbeat.pendingCount + notices.size,
        timers: Number(ticker.running) + Number(sweeper.running) + Number(deadlineArmed),
      };
    },
    counters() {
      return copyCounters(counters);
    },
    health() {
      const reasons = healthReasons.list();
      const status = state !== 'running' ? 'shutting-down' : reasons.length > 0 ? 'degraded' : 'ok';
      return { status, reasons, connections: registry.size, uptimeMs: now() - createdAt };
    },
    addHealthCheck(check) {
      return healthReasons.addCheck(check);
    },
    on(event, listener) {
      return events.on(event, listener);
    },
    close(closeOptions) {
      let timeoutMs: number;
      try {
        timeoutMs = resolveCloseTimeoutMs(closeOptions, opts.shutdown.timeoutMs);
      } catch (error) {
        return Promise.reject(error);
      }
      closing ??= close(timeoutMs);
      return closing;
    },
    maintenance,
    [Symbol.asyncDispose]() {
      return server.close();
    },
  };
  return server;
}
