import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { disconnectClient } from '../../src/redis/redis-connection';
import { asIoRedis } from '../../src/redis/redis-options';

/** The Redis the multi-node tests use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    await closeRedisClient(client);
  }
}

/** Closes a test's Redis client as the package closes its own, and resolves once no socket or timer of it is left. */
export function closeRedisClient(client: Redis | Cluster): Promise<void> {
  return disconnectClient(asIoRedis(client));
}

/** Whether `CI` is set the way CI services set it (`true`, `1`, …); `CI=false` or `CI=0` means not in CI. */
function runsInCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** Skips (true) when CI is not set, or runs them to fail with CI set; prints which, and why. */
function skipUnlessCi(suite: string, missing: string, remedy: string): boolean {
  if (runsInCi()) {
    console.warn(`${suite}: ${missing}; CI is set, so these tests run and fail`);
    return false;
  }
  console.warn(`${suite}: skipped, ${missing} (${remedy}, or CI=true to fail instead)`);
  return true;
}

/**
 * Whether to skip the Redis suites: only when Redis does not answer and CI is not set (with CI they run and fail).
 * Prints the reason, so a skipped run says why.
 */
export async function skipWithoutRedis(suite: string): Promise<boolean> {
  if (await redisAnswers(REDIS_URL)) return false;
  return skipUnlessCi(suite, `no Redis answers at ${REDIS_URL}`, 'set REDIS_URL');
}

/**
 * Whether to skip the suites that need sharded pub/sub on the Redis at `REDIS_URL`: only when it does not answer, or
 * is older than 7, and CI is not set. Prints the reason, so a skipped run says why.
 */
export async function skipWithoutShardedPubSub(suite: string): Promise<boolean> {
  if (await skipWithoutRedis(suite)) return true;
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    const major = Number(/redis_version:(\d+)/.exec(await client.info('server'))?.[1]);
    if (major >= 7) return false;
    return skipUnlessCi(suite, `the Redis at ${REDIS_URL} is ${major}, without sharded pub/sub`, 'run Redis 7 or later');
  } finally {
    await closeRedisClient(client);
  }
}

/**
 * Whether to skip the suites that start their own `redis-server` (to stop and restart it): only when the binary is not
 * on PATH and CI is not set. Prints the reason, so a skipped run says why.
 */
export function skipWithoutRedisServerBinary(suite: string): boolean {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined) return false;
  return skipUnlessCi(suite, 'no redis-server binary on PATH', 'install redis-server');
}

/** A key prefix no other test uses. */
export function uniqueKeyPrefix(): string {
  return `ws-test:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (bounded SCAN loop). */
export async function removeKeys(prefix: string, url: string = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    for (let round = 0; round < 10_000; round += 1) {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    await closeRedisClient(client);
  }
}

/** Keys currently under `prefix`. */
export async function listKeys(prefix: string, url: string = REDIS_URL): Promise<string[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    await closeRedisClient(client);
  }
}

/** Lowest Redis that has sharded pub/sub (SPUBLISH, SSUBSCRIBE). */
const MIN_CLUSTER_REDIS_MAJOR = 7;

/** Why a local Redis Cluster cannot start here (no binaries, or Redis older than 7), or `undefined` when it can. */
function clusterUnsupportedReason(): string | undefined {
  const match = /v=(\d+)\./.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  if (!match) return 'no redis-server binary on PATH';
  if (Number(match[1]) < MIN_CLUSTER_REDIS_MAJOR) return `redis-server ${match[1]} has no sharded pub/sub (needs ${MIN_CLUSTER_REDIS_MAJOR}+)`;
  if (spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).error !== undefined) return 'no redis-cli binary on PATH';
  return undefined;
}

/**
 * Whether to skip the suites that start their own Redis Cluster: only when redis-server 7+ or redis-cli is missing and
 * CI is not set. Prints the reason, so a skipped run says why.
 */
export function skipWithoutRedisCluster(suite: string): boolean {
  const reason = clusterUnsupportedReason();
  if (reason === undefined) return false;
  return skipUnlessCi(suite, reason, 'install redis-server 7+ and redis-cli');
}
