import type { Cluster, Redis } from 'ioredis';
import * as z from 'zod/v4/mini';

/**
 * An ioredis 5 client or Redis Cluster client, described by shape so that these types compile without ioredis
 * installed (it is an optional peer dependency); pass your `new Redis(...)` or `new Cluster(...)`.
 */
export interface RedisClientLike {
  /** Connection status (`ready`, `reconnecting`, ...). */
  readonly status: string;
  /** `true` on an ioredis `Cluster`. */
  readonly isCluster?: boolean;
  /** Creates a client with the same settings. */
  duplicate(...args: never[]): unknown;
  /** Runs a cached Lua script. */
  evalsha(...args: never[]): unknown;
  /** Publishes a message. */
  publish(...args: never[]): unknown;
}

/**
 * The client of the options as the ioredis client it is (`RedisOptionsSchema` checked its shape). An ioredis `Cluster`
 * has the same commands; the few places that differ check `isCluster`.
 */
export function asIoRedis(client: RedisClientLike): Redis {
  return client as unknown as Redis;
}

/** The client of the options as the ioredis `Cluster` it is (when `isCluster` is true). */
export function asIoRedisCluster(client: RedisClientLike): Cluster {
  return client as unknown as Cluster;
}

/** A startup node of a Redis Cluster: `{ host, port }` or `'host:port'`. */
export type RedisClusterStartupNode = { host: string; port: number } | string;

/**
 * How to reach Redis: a URL (the package creates its clients and closes them), the startup nodes of a Redis Cluster
 * (the package creates an ioredis `Cluster` and closes it), or your own ioredis client or `Cluster` (you close it).
 */
export type RedisConnectionOptions =
  | {
      /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
      url: string;
      client?: undefined;
      nodes?: undefined;
    }
  | {
      /**
       * Your ioredis 5 client or `Cluster`; the package duplicates it for the subscriber connection (on a `Cluster`
       * with `shardedSubscribers: true`) and leaves it open on close.
       */
      client: RedisClientLike;
      url?: undefined;
      nodes?: undefined;
    }
  | {
      /** Startup nodes of a Redis Cluster (7 or later for the sharded fan-out), e.g. `[{ host: '10.0.0.1', port: 7000 }]`. */
      nodes: RedisClusterStartupNode[];
      url?: undefined;
      client?: undefined;
    };

/**
 * How updates travel between nodes: `classic` Redis pub/sub (every node receives every update) or Redis 7 `sharded`
 * pub/sub with one channel per watched job (a node receives only the updates of jobs its own sockets watch).
 */
export type RedisFanout = 'classic' | 'sharded';

/** Where keys and channels live; every server node and job publisher of one deployment must use the same. */
export interface RedisNamespaceOptions {
  /** Prefix of every Redis key and of the Socket.IO adapter channels (1-100 characters, no braces). @default 'ws-jobs:' */
  keyPrefix?: string | undefined;
  /** How updates travel between nodes (see {@link RedisFanout}). @default 'sharded' on a Redis Cluster, else 'classic' */
  fanout?: RedisFanout | undefined;
}

/**
 * How many replicas must hold a job update before it is published: closes Redis' asynchronous replication window, so
 * that a terminal update a client received survives a crash of its master (the promoted replica has it).
 */
export interface RedisReplicaWaitOptions {
  /** Replicas of the job's master that must acknowledge the update's write (Redis `WAIT`, on the master holding the job). */
  replicas: number;
  /**
   * Longest wait for them, 1 to 1000 ms (below the 2 s command timeout of the clients this package creates); when fewer
   * acknowledged by then, the update is published anyway and reported (see the README). @default 500
   */
  timeoutMs?: number | undefined;
}

/** How durable an update must be before it is published; every server node and job publisher of one deployment should use the same. */
export interface RedisWriteOptions {
  /** Wait for replicas to acknowledge each update before publishing it (see {@link RedisReplicaWaitOptions}). @default undefined (publish at once) */
  waitForReplicas?: RedisReplicaWaitOptions | undefined;
}

/** A `waitForReplicas` option with its default applied. */
export type ResolvedReplicaWait = { replicas: number; timeoutMs: number };

/** The fan-out of these options: the given one, else `sharded` on a Redis Cluster and `classic` otherwise. */
export function fanoutOf(options: RedisConnectionOptions & RedisNamespaceOptions): RedisFanout {
  return options.fanout ?? (options.nodes !== undefined || options.client?.isCluster === true ? 'sharded' : 'classic');
}

/** The `redis` option of `createJobServer`: shares job state, fan-out and per-IP counts between server processes. */
export type JobServerRedisOptions = RedisConnectionOptions &
  RedisNamespaceOptions &
  RedisWriteOptions & {
    /** How long a node's connection counts outlive its last refresh; a node that died stops counting after this. @default 30000 */
    nodeTtlMs?: number | undefined;
  };

/** Defaults of the `redis` options. */
export const REDIS_DEFAULTS = {
  keyPrefix: 'ws-jobs:',
  nodeTtlMs: 30_000,
  replicaWaitTimeoutMs: 500,
} as const;

/** Schema of the `waitForReplicas` option. */
export const ReplicaWaitSchema = z.strictObject({
  replicas: z.int().check(z.minimum(1), z.maximum(100)),
  // WAIT with 0 blocks for ever; above 1000 ms a client's command timeout could fire after the write succeeded.
  timeoutMs: z._default(z.int().check(z.minimum(1), z.maximum(1000)), REDIS_DEFAULTS.replicaWaitTimeoutMs),
});

/**
 * The `waitForReplicas` option with its default timeout, checked (a `WAIT` without a timeout would block for ever).
 * @throws RangeError when it is invalid.
 */
export function resolveReplicaWait(options: RedisReplicaWaitOptions | undefined): ResolvedReplicaWait | undefined {
  if (options === undefined) return undefined;
  const parsed = ReplicaWaitSchema.safeParse(options);
  if (!parsed.success) throw new RangeError(`waitForReplicas: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`);
  return parsed.data;
}

const isRedisClient = (value: unknown): value is RedisClientLike =>
  typeof value === 'object' && value !== null && ['duplicate', 'evalsha', 'publish'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function');

/** The `redis` option with its defaults applied. */
export type ResolvedRedisOptions = RedisConnectionOptions & { keyPrefix: string; nodeTtlMs: number; fanout: RedisFanout; waitForReplicas?: ResolvedReplicaWait | undefined };

/**
 * Schema of `keyPrefix`. Braces would make a hash tag of the prefix (`{app}:job:{7}:<id>` hashes `app`): every key of
 * a Redis Cluster in one slot, the buckets' own tags ignored.
 */
const KeyPrefixSchema = z.string().check(
  z.minLength(1),
  z.maxLength(100),
  z.regex(/^[^{}]*$/, 'must not contain { or }: a Redis Cluster would hash the braced part of every key to one slot'),
);

/**
 * The `keyPrefix` given to `createJobPublisher` or `RedisJobStore`, or the default, checked as the server checks it.
 * @throws RangeError when it is invalid (e.g. contains braces).
 */
export function resolveKeyPrefix(keyPrefix: string | undefined): string {
  if (keyPrefix === undefined) return REDIS_DEFAULTS.keyPrefix;
  const parsed = KeyPrefixSchema.safeParse(keyPrefix);
  if (!parsed.success) throw new RangeError(`keyPrefix: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.data;
}

const StartupNodeSchema = z.union([
  z.string().check(z.regex(/^[^:\s]+:\d+$/, 'must be host:port')),
  z.strictObject({ host: z.string().check(z.minLength(1)), port: z.int().check(z.minimum(1), z.maximum(65_535)) }),
]);

/** Schema of the `redis` option: exactly one of `url`, `client` and `nodes`. */
export const RedisOptionsSchema = z.pipe(
  z
    .strictObject({
      url: z.optional(z.string().check(z.regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'))),
      client: z.optional(z.custom<RedisClientLike>(isRedisClient, { error: 'must be an ioredis 5 client or Cluster' })),
      nodes: z.optional(z.array(StartupNodeSchema).check(z.minLength(1))),
      keyPrefix: z._default(KeyPrefixSchema, REDIS_DEFAULTS.keyPrefix),
      nodeTtlMs: z._default(z.int().check(z.minimum(1000), z.maximum(2 ** 31 - 1)), REDIS_DEFAULTS.nodeTtlMs),
      fanout: z.optional(z.enum(['classic', 'sharded'])),
      waitForReplicas: z.optional(ReplicaWaitSchema),
    })
    .check(
      z.refine((value) => [value.url, value.client, value.nodes].filter((given) => given !== undefined).length === 1, {
        error: 'give one of url, client and nodes',
      }),
    ),
  z.transform((value) => ({ ...value, fanout: fanoutOf(value as RedisConnectionOptions & RedisNamespaceOptions) }) as ResolvedRedisOptions),
);
