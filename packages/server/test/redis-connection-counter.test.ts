import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../src/redis/redis-keys';
import { RedisConnectionCounter } from '../src/redis/redis-connection-counter';
import { closeRedisClient, REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from './support/redis-test-env';

const skip = await skipWithoutRedis('RedisConnectionCounter');

describe.skipIf(skip)('RedisConnectionCounter: per-IP counts shared through Redis', () => {
  const clients: Redis[] = [];
  const prefixes: string[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map(closeRedisClient));
    await Promise.all(prefixes.splice(0).map((prefix) => removeKeys(prefix)));
  });

  /** Two nodes' counters on one Redis, each with its own client, capped at `maxPerIp`; and a client to look at Redis. */
  function twoNodes(maxPerIp: number) {
    const keyPrefix = uniqueKeyPrefix();
    prefixes.push(keyPrefix);
    const [a, b, admin] = [new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL)];
    clients.push(a, b, admin);
    const counter = (client: Redis) => new RedisConnectionCounter({ client, keyPrefix, maxPerIp, ttlMs: 60_000, onResult: () => undefined });
    return { keyPrefix, admin, nodeA: counter(a), nodeB: counter(b) };
  }

  it('keeps the acquires a rewrite of its counts crossed in Redis: the cap holds across nodes', async () => {
    const { keyPrefix, admin, nodeA, nodeB } = twoNodes(3);
    const ip = '203.0.113.7';
    expect(await nodeA.acquire(ip)).toBe(true);
    // Redis lost node A's counts (a restart, an eviction): its next refresh finds them gone and marks them for a rewrite.
    const bucket = redisKeys(keyPrefix).bucket(0);
    await admin.del(`${bucket.nodeConnectionsPrefix}${nodeA.nodeId}`);
    await nodeA.refresh();

    // Two handshakes are being counted when the rewrite starts: Redis runs their increments first, then the rewrite.
    const taken = Promise.all([nodeA.acquire(ip), nodeA.acquire(ip)]);
    const rewritten = nodeA.refresh();
    expect(await taken).toEqual([true, true]);
    await rewritten;
    await nodeA.refresh();

    // Three connections of the IP on node A: node B refuses a fourth.
    expect(await nodeB.acquire(ip)).toBe(false);
    expect(await admin.hget(`${bucket.nodeConnectionsPrefix}${nodeA.nodeId}`, ip)).toBe('3');
    await Promise.all([nodeA.close(true), nodeB.close(true)]);
  });
});
