import type { Redis } from 'ioredis';
import * as z from 'zod';

/**
 * An ioredis 5 client, described by shape so that these types compile without ioredis installed
 * (it is an optional peer dependency); pass your `new Redis(...)`.
 */
export interface RedisClientLike {
  /** Connection status (`ready`, `reconnecting`, ...). */
  readonly status: string;
  /** Creates a client with the same settings. */
  duplicate(...args: never[]): unknown;
  /** Runs a cached Lua script. */
  evalsha(...args: never[]): unknown;
  /** Publishes a message. */
  publish(...args: never[]): unknown;
}

/** The client of the options as the ioredis client it is (`RedisOptionsSchema` checked its shape). */
export function asIoRedis(client: RedisClientLike): Redis {
  return client as unknown as Redis;
}

/** How to reach Redis: a URL (the package creates its clients and closes them) or your own ioredis client (you close it). */
export type RedisConnectionOptions =
  | {
      /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
      url: string;
      client?: undefined;
    }
  | {
      /** Your ioredis 5 client; the package duplicates it for the subscriber connection and leaves it open on close. */
      client: RedisClientLike;
      url?: undefined;
    };

/** Where keys and channels live; every server node and job publisher of one deployment must use the same. */
export interface RedisNamespaceOptions {
  /** Prefix of every Redis key and of the Socket.IO adapter channels. @default 'ws-jobs:' */
  keyPrefix?: string | undefined;
}

/** The `redis` option of `createJobServer`: shares job state, fan-out and per-IP counts between server processes. */
export type JobServerRedisOptions = RedisConnectionOptions &
  RedisNamespaceOptions & {
    /** How long a node's connection counts outlive its last refresh; a node that died stops counting after this. @default 30000 */
    nodeTtlMs?: number | undefined;
  };

/** Defaults of the `redis` options. */
export const REDIS_DEFAULTS = {
  keyPrefix: 'ws-jobs:',
  nodeTtlMs: 30_000,
} as const;

const isRedisClient = (value: unknown): value is RedisClientLike =>
  typeof value === 'object' && value !== null && ['duplicate', 'evalsha', 'publish'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function');

/** The `redis` option with its defaults applied. */
export type ResolvedRedisOptions = RedisConnectionOptions & { keyPrefix: string; nodeTtlMs: number };

/** Schema of the `redis` option: exactly one of `url` and `client`. */
export const RedisOptionsSchema = z
  .strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
    client: z.custom<RedisClientLike>(isRedisClient, { message: 'must be an ioredis 5 client' }).optional(),
    keyPrefix: z.string().min(1).max(100).default(REDIS_DEFAULTS.keyPrefix),
    nodeTtlMs: z.int().min(1000).max(2 ** 31 - 1).default(REDIS_DEFAULTS.nodeTtlMs),
  })
  .refine((value) => (value.url === undefined) !== (value.client === undefined), { message: 'give either url or client' })
  .transform((value) => value as ResolvedRedisOptions);
