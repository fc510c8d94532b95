import type * as RedisAdapterModule from '@socket.io/redis-adapter';
import type { HealthReasons } from '../health';
import type { JobIoServer } from '../job-server-api';
import type { JobServerLogger } from '../logger';
import type { ResolvedJobServerOptions } from '../options';
import { requireOptional } from '../optional-dependency';
import { RedisConnection } from './redis-connection';
import { RedisConnectionCounter } from './redis-connection-counter';
import { RedisJobStore } from './redis-job-store';
import { redisKeys } from './redis-keys';
import { PendingSubscriptions } from './pending-subscriptions';
import { warnOfReplicaShortfall } from './replica-shortfall';
import { asIoRedisCluster, fanoutOf, REDIS_DEFAULTS, type JobServerRedisOptions } from './redis-options';
import { ClassicClusterSubscriber } from './classic-cluster-subscriber';
import { FanoutCatchUp } from './fanout-catch-up';
import { dropRepeatedShardedChannels } from './sharded-channel-list';

/** The health reason while Redis is unreachable. */
export const REDIS_UNAVAILABLE = 'redis-unavailable';

/** What a server node's Redis membership needs from the server. */
export interface RedisClusterDeps {
  io: JobIoServer;
  redis: JobServerRedisOptions;
  maxConnectionsPerIp: number;
  bufferSize: number;
  staleJobMs: number;
  finishedJobRetentionMs: number;
  /** The server's clock, which stamps the store's updates; the store's counts judge ages by it too. */
  now: () => number;
  /** Period of the server's ticker, which refreshes this node's connection counts. */
  tickMs: number;
  health: HealthReasons;
  logger: Required<JobServerLogger>;
  /** Called when Redis is reachable again, to clear the server's own store-failure reason (when the store is this one). */
  onStoreRecovered?: (() => void) | undefined;
  /** Another node expired a stale job: drop this node's subscriptions of it. */
  onExpiredElsewhere: (jobId: string, lastSeq: number) => void;
  /** Redis came back without a job this node's sockets watch (it lost its data, or the job has no update yet): tell them it is `gone`. */
  onJobLost: (jobId: string) => void;
}

/** What the server hands its Redis membership besides the options (`redis`, limits, buffer and sweep ages, clock). */
export type RedisClusterParts = Pick<RedisClusterDeps, 'io' | 'tickMs' | 'health' | 'logger' | 'onStoreRecovered' | 'onExpiredElsewhere' | 'onJobLost'>;

/** Length of a Socket.IO socket id, which `@socket.io/redis-adapter`'s sharded adapter tells rooms apart by. */
const SOCKET_ID_LENGTH = 20;

/** Server-side event (Socket.IO `serverSideEmit`, through the adapter) announcing a job another node expired. */
const JOB_EXPIRED_ELSEWHERE = 'org-ws:job-expired';

/**
 * One server node's part of a Redis-backed cluster (SPEC §4): the official Socket.IO Redis adapter for fan-out
 * between nodes (classic pub/sub, or sharded pub/sub with a channel per watched job), the shared `RedisJobStore`, cluster-wide per-IP counts, and `degraded` health while Redis is away.
 * When its subscription comes back (Redis returns, or a failed-over master's channels are subscribed on the promoted
 * replica), every job room of this node gets its job's snapshot if it is newer than what the room was sent
 * (`FanoutCatchUp`), so that no update published meanwhile, above all no terminal one, is missed.
 */
export class RedisCluster {
  /** The shared job store. */
  readonly store: RedisJobStore;
  /** Cluster-wide per-IP counts. */
  readonly connections: RedisConnectionCounter;
  readonly #connection: RedisConnection;
  readonly #deps: RedisClusterDeps;
  readonly #onExpiredElsewhere: (jobId: unknown, lastSeq: unknown) => void;
  readonly #subscribing = new PendingSubscriptions();
  /** Channel of a room under the sharded fan-out; `undefined` with the classic one (nothing to wait for). */
  readonly #roomChannel: ((room: string) => string) | undefined;
  readonly #catchUp: FanoutCatchUp;
  /** The classic fan-out's subscriber connection on a Redis Cluster, which ioredis replaces without telling. */
  readonly #classicSubscriber: ClassicClusterSubscriber | undefined;
  /** Under the classic fan-out, settles once Redis confirmed the node's first subscription (updates before it are not heard). */
  readonly #classicSubscribed: Promise<void> | undefined;
  /** Master of each slot as the subscriber last saw it (Redis Cluster only); a change means subscriptions moved. */
  #masters: (string | undefined)[] | undefined;
  /** Set when ioredis dropped a sharded subscriber connection (it died, or its node lost its slots), until the next catch-up. */
  #subscriberLost = false;
  readonly #onSubscriberLost = (): void => {
    this.#subscriberLost = true;
  };
  readonly #onSubscribersReady = (): void => this.#onTopology();
  /** `connecting` until Redis first answers; `down` after it was lost (or never came up). */
  #state: 'connecting' | 'up' | 'down' = 'connecting';

  /** A node's membership configured from the server's resolved options. */
  static fromOptions(opts: ResolvedJobServerOptions, redis: JobServerRedisOptions, parts: RedisClusterParts): RedisCluster {
    return new RedisCluster({
      ...parts,
      redis,
      maxConnectionsPerIp: opts.limits.maxConnectionsPerIp,
      bufferSize: opts.jobs.bufferSize,
      staleJobMs: opts.sweep.staleJobMs,
      finishedJobRetentionMs: opts.sweep.finishedJobRetentionMs,
      now: opts.now,
    });
  }

  constructor(deps: RedisClusterDeps) {
    this.#deps = deps;
    const { redis, io } = deps;
    const keyPrefix = redis.keyPrefix ?? REDIS_DEFAULTS.keyPrefix;
    const { createAdapter, createShardedAdapter } = requireOptional<typeof RedisAdapterModule>('@socket.io/redis-adapter', 'The redis option');
    this.#connection = new RedisConnection(redis, (available, error) => this.#onAvailability(available, error));
    const client = this.#connection.client;
    this.store = new RedisJobStore({
      client,
      keyPrefix,
      bufferSize: deps.bufferSize,
      staleJobMs: deps.staleJobMs,
      finishedJobRetentionMs: deps.finishedJobRetentionMs,
      now: deps.now,
      waitForReplicas: redis.waitForReplicas,
      onReplicaShortfall: warnOfReplicaShortfall(deps.logger),
    });
    this.connections = new RedisConnectionCounter({
      client,
      keyPrefix,
      maxPerIp: deps.maxConnectionsPerIp,
      // At least three ticks, so that one slow refresh never lets a live node's counts lapse.
      ttlMs: Math.max(redis.nodeTtlMs ?? REDIS_DEFAULTS.nodeTtlMs, 3 * deps.tickMs),
      onResult: (ok, error) => {
        if (!ok) this.#onAvailability(this.#connection.available, error);
      },
    });
    const guarded = this.#connection.guarded.bind(this.#connection);
    const channel = redisKeys(keyPrefix).adapterChannel;
    const sharded = fanoutOf(redis) === 'sharded';
    const publishing = guarded(client);
    const subscribing = sharded ? this.#subscribing.track(guarded(this.#connection.subscriber)) : guarded(this.#connection.subscriber);
    // Sharded: one channel per job room (`<channel>#/#<room>#`), subscribed only while a local socket watches the job.
    this.#roomChannel = sharded ? (room) => `${channel}#/#${room}#` : undefined;
    io.adapter(
      sharded ? createShardedAdapter(publishing, subscribing, { channelPrefix: channel, subscriptionMode: 'dynamic' }) : createAdapter(publishing, subscribing, { key: channel }),
    );
    const subscriber = this.#connection.subscriber;
    this.#classicSubscriber = !sharded && client.isCluster ? new ClassicClusterSubscriber(asIoRedisCluster(subscriber), () => void this.#catchUp.run()) : undefined;
    const classicSubscriber = this.#classicSubscriber;
    // Where the sharded adapter publishes to a room: a room name that looks like a socket id (20 characters) goes on
    // the namespace channel, any other on the room's own.
    const publishedOn = (room: string): string => (room.length === SOCKET_ID_LENGTH ? `${channel}#/#` : `${channel}#/#${room}#`);
    this.#catchUp = new FanoutCatchUp({
      io,
      store: this.store,
      // What proves that Redis handles the node's subscriptions again: on a cluster with the sharded fan-out, each room's
      // channel subscribed again (ioredis resubscribes without telling when Redis confirmed, and drops a failure); on
      // a single Redis, a PING queued behind the subscriber's resubscriptions; with the classic fan-out on a cluster, the
      // same PING on the connection ioredis subscribes on.
      confirmSubscribed: sharded && client.isCluster
        ? (rooms) =>
            Promise.all([...new Set(rooms.map(publishedOn))].map((roomChannel) => subscribing.ssubscribe(roomChannel))).finally(() =>
              dropRepeatedShardedChannels(subscriber),
            )
        : classicSubscriber
          ? () => classicSubscriber.confirmed()
          : () => subscriber.ping(),
      onJobLost: deps.onJobLost,
      logger: deps.logger,
    });
    // ioredis emits 'subscribersReady' after a slot refresh that changed the cluster's topology or replaced failed
    // subscribers, once it sent the resubscriptions, and '-subscriber' for each sharded subscriber it dropped.
    if (client.isCluster) {
      subscriber.on('-subscriber', this.#onSubscriberLost);
      subscriber.on('subscribersReady', this.#onSubscribersReady);
    }
    this.#onExpiredElsewhere = (jobId, lastSeq) => {
      if (typeof jobId === 'string' && typeof lastSeq === 'number') deps.onExpiredElsewhere(jobId, lastSeq);
    };
    io.on(JOB_EXPIRED_ELSEWHERE, this.#onExpiredElsewhere);
    // Never rejects: a subscribe waits for it only until the first confirmation or failure (a gap after it is caught up).
    this.#classicSubscribed = sharded
      ? undefined
      : (classicSubscriber?.subscribedOnce() ??
        subscriber.ping().then(
          () => undefined,
          () => undefined,
        ));
    if (!this.#connection.available) this.#onAvailability(false);
  }

  /** Called on every tick of the server's ticker: keeps this node's connection counts alive in Redis. */
  tick(): void {
    void this.connections.refresh();
    this.#classicSubscriber?.tick();
  }

  /**
   * Resolves once updates published to `room` reach this node: with the classic fan-out once its one subscription (which
   * covers every room) was first confirmed, with the sharded one after the room channel's SSUBSCRIBE (either at once
   * while Redis is away).
   */
  readonly roomReady = (room: string): Promise<void> => {
    if (!this.#connection.available) return Promise.resolve();
    if (!this.#roomChannel) return this.#classicSubscribed ?? Promise.resolve();
    return this.#subscribing.whenActive(this.#roomChannel(room));
  };

  /** Tells the other nodes that this node expired a stale job (its watchers everywhere already got `job-expired`). */
  announceExpired(jobId: string, lastSeq: number): void {
    this.#deps.io.serverSideEmit(JOB_EXPIRED_ELSEWHERE, jobId, lastSeq);
  }

  /** Leaves the cluster: removes this node's counts and closes the connections it created. */
  async close(): Promise<void> {
    this.#deps.io.off(JOB_EXPIRED_ELSEWHERE, this.#onExpiredElsewhere);
    this.#connection.subscriber.off('-subscriber', this.#onSubscriberLost);
    this.#connection.subscriber.off('subscribersReady', this.#onSubscribersReady);
    this.#catchUp.close();
    this.#classicSubscriber?.close();
    await this.connections.close(this.#connection.available);
    await this.#connection.close();
  }

  #onAvailability(available: boolean, error?: unknown): void {
    const { health, logger } = this.#deps;
    if (available) {
      health.recover(REDIS_UNAVAILABLE);
      this.#deps.onStoreRecovered?.();
      const previous = this.#state;
      this.#state = 'up';
      if (previous === 'down') {
        logger.info({}, 'job server: Redis is reachable again');
        void this.#catchUp.run();
      }
      return;
    }
    health.fail(REDIS_UNAVAILABLE);
    this.#subscribing.releaseAll();
    // Still connecting for the first time is not worth a warning; a connection error or a lost connection is.
    if (this.#state === 'down' || (this.#state === 'connecting' && error === undefined)) return;
    logger.warn({ err: error }, 'job server: Redis is unreachable; serving local connections only');
    this.#state = 'down';
  }

  /**
   * The subscriber's sharded subscriptions were renewed: when a slot's master changed (a failover, a resharding) or a
   * subscriber connection was lost and replaced (a killed connection, a network cut), the node was not subscribed to
   * some channels for a while, and the rooms catch up.
   */
  #onTopology(): void {
    const masters = asIoRedisCluster(this.#connection.subscriber).slots.map((nodes) => nodes?.[0]);
    const previous = this.#masters;
    const lost = this.#subscriberLost;
    this.#masters = masters;
    this.#subscriberLost = false;
    if (lost || (previous && masters.some((master, slot) => master !== previous[slot]))) void this.#catchUp.run();
  }
}
