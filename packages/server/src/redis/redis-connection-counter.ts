import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConnectionCounter } from '../lifecycle/connection-counter';
import { IpConnectionLimit } from '../lifecycle/ip-limit';
import { CLUSTER_BUCKETS, redisKeys, type RedisBucketKeys, type RedisKeys } from './redis-keys';
import { RedisScript } from './redis-script';

/** Options of `RedisConnectionCounter`. */
export interface RedisConnectionCounterOptions {
  /** Connected ioredis client (or ioredis `Cluster`) for commands. */
  client: Redis;
  /** Prefix of every key. */
  keyPrefix: string;
  /** Cluster-wide connections allowed per IP. */
  maxPerIp: number;
  /** How long this node's counts outlive its last refresh (a node that died stops counting after this). */
  ttlMs: number;
  /** Told whether the last Redis call worked, for `health()`. */
  onResult: (ok: boolean, error?: unknown) => void;
  /** This node's id in Redis. @default a random UUID */
  nodeId?: string;
}

// Redis' own clock, so that nodes with skewed clocks agree on which node counts have expired.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// KEYS: the IP's bucket's nodes index, this node's hash in that bucket. ARGV: the bucket's node hash prefix, node id, ip, max, ttl.
// Sums the IP's count over every live node; dead nodes (past their TTL) drop out of the index. Every key it reads
// carries the bucket's hash tag, so on a Redis Cluster they all live in the slot of KEYS[1].
const COUNT_AND_TAKE = new RedisScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local total = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if node ~= ARGV[2] then total = total + tonumber(redis.call('HGET', ARGV[1] .. node, ARGV[3]) or '0') end
end
if total >= tonumber(ARGV[4]) then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`);

// KEYS: this node's hash. ARGV: ip.
const GIVE_BACK = new RedisScript(`
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 1
`);

// KEYS: a bucket's nodes index, this node's hash in it. ARGV: node id, ttl, '1' to rewrite the hash, then ip, count pairs.
// Returns whether the hash existed after the refresh (it does not after a Redis restart without persistence).
const REFRESH = new RedisScript(`${NOW}
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
  for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
local exists = redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return exists
`);

// KEYS: a bucket's nodes index, this node's hash in it. ARGV: node id.
const LEAVE = new RedisScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
`);

/**
 * Per-IP connection caps for the whole cluster. Each node keeps its counts in its own Redis hash per bucket of IPs (one
 * bucket on a single Redis, 64 on a Redis Cluster, each under its own hash tag with that bucket's index of live nodes)
 * with a TTL that it refreshes from the server's ticker (no timer of its own); a node that dies without cleaning up
 * stops counting once its TTL runs out. When Redis is unreachable it falls back to this node's own count against the
 * same cap, and rewrites its hashes once Redis answers again.
 */
export class RedisConnectionCounter implements ConnectionCounter {
  readonly #client: Redis;
  readonly #keys: RedisKeys;
  readonly #nodeId: string;
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #onResult: (ok: boolean, error?: unknown) => void;
  /** This node's own counts; the truth its Redis hash is rebuilt from. */
  readonly #local: IpConnectionLimit;
  /** The Redis hashes may differ from `#local` (a write failed, or Redis lost them): rewrite them on the next refresh. */
  #dirty = false;
  /** Buckets where this node may have a hash or an index entry: refreshed, rewritten and left. */
  readonly #buckets = new Set<number>();
  /** Per IP, acquires whose answer has not come back: Redis may have counted them already. */
  readonly #inFlight = new Map<string, number>();
  /** Acquires started so far: a refresh that saw none start is the only one that may declare the hashes right. */
  #acquireStarts = 0;
  #refreshing = false;
  #closed = false;

  constructor(options: RedisConnectionCounterOptions) {
    this.#client = options.client;
    this.#keys = redisKeys(options.keyPrefix, options.client.isCluster ? CLUSTER_BUCKETS : 1);
    this.#nodeId = options.nodeId ?? randomUUID();
    this.#max = options.maxPerIp;
    this.#ttlMs = options.ttlMs;
    this.#onResult = options.onResult;
    this.#local = new IpConnectionLimit(options.maxPerIp);
  }

  /** This node's id in Redis. */
  get nodeId(): string {
    return this.#nodeId;
  }

  async acquire(ip: string): Promise<boolean> {
    this.#acquireStarts += 1;
    this.#inFlight.set(ip, (this.#inFlight.get(ip) ?? 0) + 1);
    try {
      const taken = await this.#countAndTake(ip);
      this.#onResult(true);
      if (taken) this.#local.acquire(ip);
      return taken;
    } catch (error) {
      this.#onResult(false, error);
      // The Redis increment may or may not have happened: trust the local count and rewrite the hash later.
      this.#dirty = true;
      return this.#local.acquire(ip);
    } finally {
      const left = this.#inFlight.get(ip)! - 1;
      if (left === 0) this.#inFlight.delete(ip);
      else this.#inFlight.set(ip, left);
    }
  }

  release(ip: string): void {
    if (this.#local.count(ip) === 0) return;
    this.#local.release(ip);
    if (this.#dirty || this.#closed) return;
    GIVE_BACK.run(this.#client, [this.#nodeKey(this.#keys.bucketOf(ip))], [ip]).then(
      () => this.#onResult(true),
      (error: unknown) => {
        this.#dirty = true;
        this.#onResult(false, error);
      },
    );
  }

  get size(): number {
    return this.#local.size;
  }

  /** Extends this node's TTL in each bucket it counts in (and rewrites its counts when they may be wrong); called on every server tick. */
  async refresh(): Promise<void> {
    if (this.#refreshing || this.#closed) return;
    this.#refreshing = true;
    const rewrite = this.#dirty;
    const quiet = this.#inFlight.size === 0;
    const startsBefore = this.#acquireStarts;
    // Acquires in flight are counted as taken: Redis may run them before the rewrite, which would otherwise erase them.
    // Counting one Redis refuses, or runs after the rewrite, errs towards refusing, until the next rewrite.
    const counts = new Map(this.#local.entries());
    for (const [ip, pending] of this.#inFlight) counts.set(ip, (counts.get(ip) ?? 0) + pending);
    const pairs = new Map<number, (string | number)[]>();
    for (const [ip, count] of counts) {
      const bucket = this.#keys.bucketOf(ip);
      this.#buckets.add(bucket);
      const list = pairs.get(bucket) ?? [];
      list.push(ip, count);
      pairs.set(bucket, list);
    }
    try {
      const buckets = [...this.#buckets];
      const existed = await Promise.all(
        buckets.map((bucket) =>
          REFRESH.run(this.#client, this.#bucketKeys(bucket), [this.#nodeId, this.#ttlMs, rewrite ? '1' : '0', ...(rewrite ? (pairs.get(bucket) ?? []) : [])]),
        ),
      );
      // With acquires in flight as it began, or started since, the rewrite may be off by them: keep the flag for one more round.
      if (rewrite && quiet && this.#acquireStarts === startsBefore) this.#dirty = false;
      buckets.forEach((bucket, index) => {
        const counted = pairs.has(bucket);
        if (existed[index] === 0 && counted) this.#dirty = true;
        // A rewritten bucket without local counts is empty in Redis now: no need to keep it alive.
        if (rewrite && !counted) this.#buckets.delete(bucket);
      });
      this.#onResult(true);
    } catch (error) {
      this.#dirty = true;
      this.#onResult(false, error);
    } finally {
      this.#refreshing = false;
    }
  }

  /** Removes this node's counts from Redis; with `reachable` false it does not try (they expire by themselves). */
  async close(reachable: boolean): Promise<void> {
    this.#closed = true;
    if (!reachable) return;
    try {
      await Promise.all([...this.#buckets].map((bucket) => LEAVE.run(this.#client, this.#bucketKeys(bucket), [this.#nodeId])));
    } catch {
      // Nothing to do: the TTL removes them.
    }
  }

  #countAndTake(ip: string): Promise<boolean> {
    const bucket = this.#keys.bucketOf(ip);
    this.#buckets.add(bucket);
    const keys: RedisBucketKeys = this.#keys.bucket(bucket);
    return COUNT_AND_TAKE.run(this.#client, this.#bucketKeys(bucket), [keys.nodeConnectionsPrefix, this.#nodeId, ip, this.#max, this.#ttlMs]).then(
      (result) => result === 1,
    );
  }

  /** The bucket's nodes index and this node's hash in it, as the scripts take them. */
  #bucketKeys(bucket: number): [string, string] {
    return [this.#keys.bucket(bucket).nodes, this.#nodeKey(bucket)];
  }

  #nodeKey(bucket: number): string {
    return `${this.#keys.bucket(bucket).nodeConnectionsPrefix}${this.#nodeId}`;
  }
}
