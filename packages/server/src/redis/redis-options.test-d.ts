import type { Cluster, Redis } from 'ioredis';
import { describe, expectTypeOf, it } from 'vitest';
import type { JobServerOptions } from '../options';
import type { JobServerRedisOptions, RedisClientLike } from './redis-options';

describe('redis option types', () => {
  it('accept an ioredis client without naming ioredis in the public types', () => {
    expectTypeOf<Redis>().toMatchTypeOf<RedisClientLike>();
    expectTypeOf<{ client: Redis }>().toMatchTypeOf<JobServerRedisOptions>();
  });

  it('accept an ioredis Cluster, or the startup nodes of a Redis Cluster, and a fan-out', () => {
    expectTypeOf<Cluster>().toMatchTypeOf<RedisClientLike>();
    expectTypeOf<{ client: Cluster; fanout: 'classic' }>().toMatchTypeOf<JobServerRedisOptions>();
    expectTypeOf<{ nodes: ({ host: string; port: number } | string)[]; fanout: 'sharded' }>().toMatchTypeOf<JobServerRedisOptions>();
    expectTypeOf<{ url: string; fanout: 'broadcast' }>().not.toMatchTypeOf<JobServerRedisOptions>();
    expectTypeOf<{ url: string; nodes: string[] }>().not.toMatchTypeOf<JobServerRedisOptions>();
  });

  it('take either a URL or a client, not both', () => {
    expectTypeOf<{ url: string; keyPrefix: string; nodeTtlMs: number }>().toMatchTypeOf<NonNullable<JobServerOptions['redis']>>();
    expectTypeOf<{ url: string; client: Redis }>().not.toMatchTypeOf<JobServerRedisOptions>();
    expectTypeOf<{ keyPrefix: string }>().not.toMatchTypeOf<JobServerRedisOptions>();
  });
});
