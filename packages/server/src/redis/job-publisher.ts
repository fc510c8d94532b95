import { ErrorCode, EventName, JobIdSchema, JobProtocolError, protocolError, type JobDataMap, type JobDataOf, type JobUpdate, type JobUpdateInput, type JobUpdateInputOf, type JobUpdateOf, type ServerToClientEvents } from '@org/ws-protocol';
import type * as RedisEmitterModule from '@socket.io/redis-emitter';
import { HealthReasons } from '../health';
import { jobRoom } from '../jobs/job-rooms';
import { requireOptional } from '../optional-dependency';
import { JOB_SERVER_DEFAULTS } from '../options';
import { REDIS_UNAVAILABLE } from './redis-cluster';
import { RedisConnection } from './redis-connection';
import { RedisJobStore } from './redis-job-store';
import { redisKeys } from './redis-keys';
import { fanoutOf, resolveKeyPrefix, resolveReplicaWait, type RedisConnectionOptions, type RedisNamespaceOptions, type RedisWriteOptions } from './redis-options';
import { warnOfReplicaShortfall } from './replica-shortfall';
import { safeLogger, silentLogger, type JobServerLogger } from '../logger';
import { shardedBroadcast } from './sharded-broadcast';
import { storeFailure } from '../jobs/store-failure';
import { parseUpdateRequest } from '../jobs/update-request';
import { checkHistoryLimit } from '../jobs/history-limits';

/** Options of `createJobPublisher`; job settings must match those of the servers. */
export interface JobPublisherOptions {
  /** The Redis the servers use (`{ url }`, `{ nodes }` or `{ client }`), with the same `keyPrefix` and `fanout` (and `waitForReplicas`). */
  redis: RedisConnectionOptions & RedisNamespaceOptions & RedisWriteOptions;
  /** Job history, as on the servers. */
  jobs?: {
    /** Recent updates kept per job for `lastSeq` recovery (1-1000). @default 100 */
    bufferSize?: number | undefined;
  } | undefined;
  /** Retention, as on the servers. */
  sweep?: {
    /** A non-terminal job without an update for this long expires. @default 3600000 (1 h) */
    staleJobMs?: number | undefined;
    /** A terminal job expires this long after its terminal update. @default 300000 (5 min) */
    finishedJobRetentionMs?: number | undefined;
  } | undefined;
  /** Clock in ms since the epoch, stamped as `at`. @default Date.now */
  now?: (() => number) | undefined;
  /** Structured logger with pino's call shape; warns of updates fewer replicas acknowledged than `redis.waitForReplicas` asks. @default silent */
  logger?: JobServerLogger | undefined;
}

/** What `health()` of a job publisher returns. */
export interface JobPublisherHealth {
  /** `ok`, or `degraded` while Redis is unreachable. */
  status: 'ok' | 'degraded';
  /** Why the status is not `ok` (`redis-unavailable`). */
  reasons: string[];
}

/** Publishes job updates from a process that is not a socket server (a queue worker, a cron job); `Map` types `data` by job id. */
export interface JobPublisher<Map extends object = JobDataMap> {
  /**
   * Appends an update to the shared Redis store (next `seq`, atomically) and broadcasts it to the job's subscribers on
   * every server node. Rejects with `JobProtocolError`: `INVALID_PAYLOAD`, `UNAVAILABLE` (Redis away), `SHUTTING_DOWN`.
   */
  update<Id extends string>(jobId: Id, input: JobUpdateInputOf<JobDataOf<Map, Id>>): Promise<JobUpdateOf<JobDataOf<Map, Id>>>;
  /** The job's latest update, or `null`. Rejects with `JobProtocolError` `UNAVAILABLE` when Redis is away. */
  getJob<Id extends string>(jobId: Id): Promise<JobUpdateOf<JobDataOf<Map, Id>> | null>;
  /** Whether Redis is reachable. */
  health(): JobPublisherHealth;
  /** Stops taking updates, finishes those already taken (stored and broadcast), then closes the Redis connections it created; idempotent. */
  close(): Promise<void>;
  /** `await using publisher = createJobPublisher(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a job publisher: the main multi-node pattern, where workers report progress and any number of server nodes
 * (started with the same `redis` option) deliver it. Needs `ioredis`, and `@socket.io/redis-emitter` for the classic
 * fan-out; with the sharded one it SPUBLISHes to the job room's channel, so only the nodes watching the job receive it.
 * @throws RangeError when `redis.keyPrefix`, `redis.waitForReplicas`, `jobs.bufferSize` or a `sweep` setting is out of its bounds.
 * @example
 * const publisher = createJobPublisher({ redis: { url: process.env.REDIS_URL } });
 * await publisher.update('export-42', { status: 'running', progress: 10 });
 */
export function createJobPublisher<Map extends object = JobDataMap>(options: JobPublisherOptions): JobPublisher<Map> {
  // Checked before any connection is opened.
  checkHistoryLimit('bufferSize', options.jobs?.bufferSize, 'jobs.bufferSize');
  checkHistoryLimit('staleJobMs', options.sweep?.staleJobMs, 'sweep.staleJobMs');
  checkHistoryLimit('finishedJobRetentionMs', options.sweep?.finishedJobRetentionMs, 'sweep.finishedJobRetentionMs');
  const waitForReplicas = resolveReplicaWait(options.redis.waitForReplicas);
  const keyPrefix = resolveKeyPrefix(options.redis.keyPrefix);
  const sharded = fanoutOf(options.redis) === 'sharded';
  const { Emitter } = sharded ? { Emitter: undefined } : requireOptional<typeof RedisEmitterModule>('@socket.io/redis-emitter', 'createJobPublisher');
  const now = options.now ?? Date.now;
  const health = new HealthReasons();
  const connection = new RedisConnection(options.redis, (available) => (available ? health.recover(REDIS_UNAVAILABLE) : health.fail(REDIS_UNAVAILABLE)));
  const store = new RedisJobStore({
    client: connection.client,
    keyPrefix,
    bufferSize: options.jobs?.bufferSize ?? JOB_SERVER_DEFAULTS.jobs.bufferSize,
    staleJobMs: options.sweep?.staleJobMs ?? JOB_SERVER_DEFAULTS.sweep.staleJobMs,
    finishedJobRetentionMs: options.sweep?.finishedJobRetentionMs ?? JOB_SERVER_DEFAULTS.sweep.finishedJobRetentionMs,
    waitForReplicas,
    onReplicaShortfall: warnOfReplicaShortfall(safeLogger(options.logger ?? silentLogger)),
  });
  // Same connection as the store's script, so Redis sees each broadcast after the append that produced it (on a Redis
  // Cluster the job's keys and its channel may be on different masters: there, only this process's order holds).
  const client = connection.guarded(connection.client);
  const channelPrefix = redisKeys(keyPrefix).adapterChannel;
  const emitter = Emitter && new Emitter<ServerToClientEvents>(client, { key: channelPrefix });
  const broadcast = (update: JobUpdate): void => {
    if (emitter) {
      emitter.to(jobRoom(update.jobId)).emit(EventName.JobUpdate, update);
      return;
    }
    const { channel, message } = shardedBroadcast(channelPrefix, jobRoom(update.jobId), EventName.JobUpdate, [update]);
    void client.spublish(channel, message);
  };
  let closed = false;
  let closing: Promise<void> | undefined;
  /** Updates taken and not finished yet (stored, then broadcast): `close()` waits for them. */
  const inFlight = new Set<Promise<JobUpdate>>();
  const publish = async (jobId: string, input: JobUpdateInput): Promise<JobUpdate> => {
    const request = parseUpdateRequest(jobId, input);
    let update: JobUpdate;
    try {
      update = await store.append(request.jobId, request.input, now());
    } catch (error) {
      throw storeFailure(error);
    }
    broadcast(update);
    return update;
  };

  // `Map` types `data` at compile time only: the runtime checks every update alike.
  const publisher: JobPublisher<Map> = {
    update: (async (jobId: string, input: JobUpdateInput): Promise<JobUpdate> => {
      if (closed) throw new JobProtocolError(protocolError(ErrorCode.SHUTTING_DOWN, 'the job publisher is closed'));
      const pending = publish(jobId, input);
      inFlight.add(pending);
      try {
        return await pending;
      } finally {
        inFlight.delete(pending);
      }
    }) as never,
    getJob: (async (jobId: string): Promise<JobUpdate | null> => {
      if (!JobIdSchema.safeParse(jobId).success) return null;
      try {
        return await store.get(jobId);
      } catch (error) {
        throw storeFailure(error);
      }
    }) as never,
    health() {
      const reasons = health.list();
      return { status: reasons.length > 0 ? 'degraded' : 'ok', reasons };
    },
    close() {
      closed = true;
      closing ??= (async () => {
        // An update already taken is stored and broadcast before the connection goes: stored but never broadcast, it
        // would reach no node (none lost a subscription, so none catches up), and a retry of a terminal is refused.
        await Promise.allSettled([...inFlight]);
        // The broadcast is not awaited (the emitter does not say when it is sent); Redis answers commands of one
        // connection in order, so the answer to one more means it has every broadcast sent before.
        if (connection.client.status === 'ready') await client.ping().catch(() => undefined);
        await connection.close();
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return publisher.close();
    },
  };
  return publisher;
}
