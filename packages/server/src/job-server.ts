import { getHeapStatistics } from 'node:v8';
import { EventName, type JobDataMap, type JobUpdateInput } from '@org/ws-protocol';
import { ErrorReporter } from './error-reporter';
import { HealthReasons } from './health';
import { SocketIoHost } from './http/socket-io-host';
import type { JobServer } from './job-server-api';
import { JobCountsRefresher } from './jobs/job-counts-refresher';
import { JobExpiry } from './jobs/job-expiry';
import type { JobStore } from './jobs/job-store';
import { JobUpdates } from './jobs/job-updates';
import { MemoryJobStore } from './jobs/memory-job-store';
import { Subscriptions } from './jobs/subscriptions';
import { UpdateFanout } from './jobs/update-fanout';
import { ConnectionLifecycle } from './lifecycle/connection-lifecycle';
import type { ConnectionCounter } from './lifecycle/connection-counter';
import { ConnectionRegistry, type ConnectionRecord } from './lifecycle/connection-registry';
import { IntervalTimer } from './lifecycle/interval-timer';
import { LoadShedding } from './lifecycle/load-shedding';
import { IpConnectionLimit } from './lifecycle/ip-limit';
import { Maintenance } from './lifecycle/maintenance';
import { TokenBucketLimiter } from './lifecycle/rate-limit';
import { ServerPhase } from './lifecycle/server-phase';
import { ShutdownSequence } from './lifecycle/shutdown-sequence';
import { Sweeper } from './lifecycle/sweeper';
import { safeLogger } from './logger';
import { resolveOptions, type JobServerOptions } from './options';
import { readStats } from './read-stats';
import { RedisCluster } from './redis/redis-cluster';
import { copyCounters, emptyCounters } from './stats';

export type { JobIoServer, JobServer, JobServerMaintenance, ListenOptions } from './job-server-api';

/** Shortest period of the heartbeat/notice ticker, so that tiny test timeouts cannot make it spin. */
const MIN_TICK_MS = 10;

/**
 * Creates a job-progress server with a leak-proof connection lifecycle (SPEC §2); `Map` types each job's `data` by job id.
 * @throws JobServerOptionsError when an option is invalid.
 * @example
 * const server = createJobServer({ httpServer });
 * await server.update('export-42', { status: 'running', progress: 10 });
 */
export function createJobServer<Map extends object = JobDataMap>(options: JobServerOptions = {}): JobServer<Map> {
  const opts = resolveOptions(options);
  const { now } = opts;
  const logger = safeLogger(opts.logger);
  const createdAt = now();
  const phase = new ServerPhase();
  const counters = emptyCounters();
  const healthReasons = new HealthReasons();
  const reporter = new ErrorReporter(phase, counters, logger);
  const onStoreResult = (ok: boolean): void => (ok ? healthReasons.recover('store-unavailable') : healthReasons.fail('store-unavailable'));

  const host = new SocketIoHost(opts);
  const { io } = host;
  const tickMs = Math.max(MIN_TICK_MS, Math.min(opts.heartbeat.intervalMs, opts.heartbeat.timeoutMs, opts.session.noticeGraceMs));
  const clusterHooks = {
    onStoreRecovered: opts.store ? undefined : () => onStoreResult(true),
    onExpiredElsewhere: (jobId: string, lastSeq: number) => expiry.expiredElsewhere(jobId, lastSeq),
    onJobLost: (jobId: string) => expiry.lost(jobId),
  };
  // `redis` without @socket.io/redis-adapter installed throws here (every option was checked above), before any Redis connection.
  const cluster = host.abandonOnThrow(() => (opts.redis ? RedisCluster.fromOptions(opts, opts.redis, { io, tickMs, health: healthReasons, logger, ...clusterHooks }) : undefined));
  const store: JobStore = opts.store ?? cluster?.store ?? new MemoryJobStore({ bufferSize: opts.jobs.bufferSize });

  const registry = new ConnectionRegistry(createdAt);
  const ipLimit: ConnectionCounter = cluster?.connections ?? new IpConnectionLimit(opts.limits.maxConnectionsPerIp);
  const limiter = new TokenBucketLimiter(opts.limits.rateLimit);
  const shedding = new LoadShedding({ ...opts.limits.overload, readHeapUsed: () => getHeapStatistics().used_heap_size, health: healthReasons, random: Math.random });
  const overloadedRetryAfterMs = (): number | undefined => shedding.retryAfterMs();
  const onOverloaded = (): void => {
    counters.overloadedSubscriptions += 1;
  };
  const onTooMany = (): void => {
    counters.tooManySubscriptions += 1;
  };
  // A reply whose replay would put the connection past the conflation watermark is a resync to the snapshot instead.
  const replayBudget = (record: ConnectionRecord): number => fanout.bytesBeforeBehind(record);
  const subscriptionParts = { registry, store, authorize: opts.authorizeSubscribe, events: reporter.events, onError: reporter.report, onStoreResult, overloadedRetryAfterMs, onOverloaded, maxPerConnection: opts.limits.maxSubscriptionsPerConnection, onTooMany, replayBudget };
  const subscriptions = new Subscriptions({ ...subscriptionParts, roomReady: cluster?.roomReady });
  const handlers = {
    [EventName.SubscribeJob]: subscriptions.subscribe.bind(subscriptions),
    [EventName.UnsubscribeJob]: subscriptions.unsubscribe.bind(subscriptions),
  };
  const onAccepted = (record: ConnectionRecord): void => fanout.watch(record);
  const connections = new ConnectionLifecycle({ phase, now, registry, ipLimit, limiter, options: opts, handlers, counters, logger, reporter, onAccepted, overloadedRetryAfterMs });
  connections.attach(io, host.ownsIo);
  const onSlowConsumer = (record: ConnectionRecord, pendingBytes: number): void => connections.dropSlowConsumer(record, pendingBytes);
  const fanout = new UpdateFanout({ io, now, registry, counters, ...opts.limits.outbound, onSlowConsumer });
  const countsRefresher = new JobCountsRefresher(store, (error) => reporter.report(error, 'store.refreshCounts'));
  const ticker = new IntervalTimer(tickMs, () => {
    connections.tick();
    fanout.tick();
    cluster?.tick();
    countsRefresher.tick();
    shedding.tick();
  });
  const expiry = new JobExpiry({
    phase,
    now,
    store,
    io,
    subscriptions,
    sweep: opts.sweep,
    /** A finished job stays while someone here still watches it (a stale one goes, and its watchers are told). */
    isWatched: (jobId) => registry.subscriberCount(jobId) > 0,
    onExpired: (jobId, lastSeq) => cluster?.announceExpired(jobId, lastSeq),
    onStoreResult,
    logger,
    reportError: reporter.report,
  });
  const maintenanceParts = { phase, now, registry, connections, limiter, shedding, session: opts.session, purgeStaleJobs: expiry.purgeStaleJobs };
  const maintenance = new Maintenance({ ...maintenanceParts, jobsByStatus: () => store.countByStatus?.() ?? null, pendingOutboundBytes: () => fanout.maxPendingBytes() });
  const sweeper = new Sweeper(opts.sweep.intervalMs, () => healthReasons.track('sweep-failed', maintenance.sweep()), (error) => reporter.report(error, 'sweep'));
  ticker.start();
  sweeper.start();

  const shutdown = new ShutdownSequence({
    phase,
    now,
    logger,
    registry,
    connections,
    retryWindowMs: opts.shutdown.retryWindowMs,
    defaultTimeoutMs: opts.shutdown.timeoutMs,
    ticker,
    // The sweep, and a purge the application (or a memory monitor) started: both use the store and the cluster.
    sweeper: { stop: () => Promise.all([sweeper.stop(), expiry.settled()]) },
    countsRefresher,
    closeTransport: () =>
      host.close(() => {
        connections.detach(io);
        fanout.close();
      }),
    async closeBackends() {
      // A store passed in options belongs to the application (it may outlive this server, e.g. across a restart).
      if (opts.store === undefined) await store.close?.().catch((error: unknown) => reporter.report(error, 'store.close'));
      await cluster?.close();
    },
  });
  const jobs = new JobUpdates({ phase, now, store, fanout, onStoreResult });
  // Once closed the server holds no job: a store passed in options is the application's, and its jobs outlive the server.
  const heldJobs = (): number => (phase.closed && opts.store !== undefined ? 0 : store.size());

  const server: JobServer<Map> = {
    io,
    listen: (listenOptions) => host.listen(listenOptions, phase.running),
    // `Map` types `data` at compile time only: the runtime checks every update alike.
    update: (jobId, input) => jobs.update(jobId, input as JobUpdateInput) as never,
    getJob: (jobId) => jobs.getJob(jobId) as never,
    stats: () => readStats({ registry, ipLimit, jobs: heldJobs, limiter, connections, timers: () => [ticker.running, sweeper.running, shutdown.timerArmed, connections.notices.timerArmed, connections.transports.timerArmed] }),
    counters: () => copyCounters(counters),
    health: () => healthReasons.report(phase.running, registry.size, now() - createdAt),
    addHealthCheck: (check) => healthReasons.addCheck(check),
    on: (event, listener) => reporter.events.on(event, listener),
    close: (closeOptions) => shutdown.close(closeOptions),
    maintenance,
    [Symbol.asyncDispose]: () => server.close(),
  };
  return server;
}
