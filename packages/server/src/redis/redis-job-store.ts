import { ErrorCode, isTerminal, JOB_STATUSES, JobProtocolError, protocolError, type JobStatus, type JobUpdate, type JobUpdateInput } from '@org/ws-protocol';
import type { ChainableCommander, Redis } from 'ioredis';
import { EXPIRED_BATCH, type ExpiredJob, type ExpiryRule, type JobReplay, type JobStatusCounts, type JobStore } from '../jobs/job-store';
import { JOB_SERVER_DEFAULTS } from '../options';
import { CLUSTER_BUCKETS, redisKeys, type RedisBucketKeys, type RedisKeys } from './redis-keys';
import { asIoRedis, asIoRedisCluster, resolveKeyPrefix, resolveReplicaWait, type RedisClientLike, type RedisReplicaWaitOptions, type ResolvedReplicaWait } from './redis-options';
import type { ReplicaShortfall } from './replica-shortfall';
import { RedisScript } from './redis-script';
import { newEpoch } from '../jobs/job-epoch';
import { replayWindow } from '../jobs/replay-window';
import { checkHistoryLimit } from '../jobs/history-limits';

/** Options of `RedisJobStore`. */
export interface RedisJobStoreOptions {
  /** Connected ioredis client (or ioredis `Cluster`) for commands (not one in subscriber mode). */
  client: RedisClientLike;
  /** Prefix of every key (1-100 characters, no braces); all servers and publishers of one deployment share it. @default 'ws-jobs:' */
  keyPrefix?: string | undefined;
  /** Recent updates kept per job for `lastSeq` recovery (1-1000: a replay holds at most 1000). @default 100 */
  bufferSize?: number | undefined;
  /** A non-terminal job without an update for this long expires (whole ms, at most 2^31-1). @default 3600000 (1 h) */
  staleJobMs?: number | undefined;
  /**
   * A terminal job expires this long after its terminal update, but Redis keeps it at least 1 s (the sweep may drop it
   * sooner), so that an update racing the terminal one is refused, as by `MemoryJobStore`, instead of starting the job
   * again at seq 1.
   * @default 300000 (5 min)
   */
  finishedJobRetentionMs?: number | undefined;
  /**
   * Clock in ms since the epoch by which `refreshCounts()` judges ages; give it the clock the `at` of your `append`s
   * comes from (a server passes its `now` option), so that an offset clock never makes a live job look old.
   * @default Date.now
   */
  now?: (() => number) | undefined;
  /**
   * Replicas of the job's master that must acknowledge each update (Redis `WAIT`) before `append` resolves, so that a
   * crash of the master right after it loses nothing the callers went on to publish. @default undefined (resolve at once)
   */
  waitForReplicas?: RedisReplicaWaitOptions | undefined;
  /** Hears of an update fewer replicas acknowledged in time; `append` resolves it anyway (it is on the master). @default ignored */
  onReplicaShortfall?: ((shortfall: ReplicaShortfall) => void) | undefined;
}

/** Shortest time Redis keeps a terminal job, whatever `finishedJobRetentionMs` says (the sweep may still drop it sooner). */
const MIN_FINISHED_JOB_TTL_MS = 1000;

/**
 * Most pages of `limit` entries one `findExpired` reads from the finished index while `keep` leaves entries out (one
 * round trip each, the first shared with the active index): past that many kept jobs, droppable ones behind them wait
 * until fewer are kept, or until the index drops them by age.
 */
export const FINISHED_PAGES_PER_CALL = 10;

/**
 * An entry of the sweep's indexes lives at most this many times its age limit (`staleJobMs`, the terminal job's TTL):
 * one the sweep has not handled by then (it fell behind) is dropped without being reported, so the indexes stay bounded.
 */
const INDEX_AGE_FACTOR = 2;

// KEYS: job hash, updates list, active index, finished index, then one index per status in JOB_STATUSES order.
// ARGV: jobId, status, update JSON without seq, terminal flag, at, bufferSize, retention of this update, index retention,
// position of the status in JOB_STATUSES (1-based), epoch for a history that starts with this update.
// Assigns the next seq atomically, so that no two nodes or publishers ever hand out the same one, and keeps the job's
// epoch beside it: a job Redis does not hold (first update, dropped, or lost with a restart) starts a new epoch.
const APPEND = new RedisScript(`
local prev = redis.call('HMGET', KEYS[1], 'seq', 'status', 'terminal', 'epoch')
local seq = 1
local epoch = ARGV[10]
if prev[1] then
  if prev[3] == '1' then return {0, prev[2], ''} end
  seq = tonumber(prev[1]) + 1
  if prev[4] then epoch = prev[4] end
  redis.call('ZREM', KEYS[3], prev[1] .. '|' .. ARGV[1])
end
local json = '{"seq":' .. seq .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[1], 'seq', seq, 'status', ARGV[2], 'terminal', ARGV[4], 'epoch', epoch, 'snapshot', json)
redis.call('RPUSH', KEYS[2], json)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('ZADD', ARGV[4] == '1' and KEYS[4] or KEYS[3], ARGV[5], seq .. '|' .. ARGV[1])
local own = 4 + tonumber(ARGV[9])
for i = 5, #KEYS do
  if i == own then redis.call('ZADD', KEYS[i], ARGV[5], ARGV[1]) else redis.call('ZREM', KEYS[i], ARGV[1]) end
end
for i = 3, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[8]) end
return {seq, ARGV[2], epoch}
`);

// KEYS: active index, finished index, then one index per status in JOB_STATUSES order.
// ARGV: now, staleJobMs, TTL of a terminal job, index age factor, then per status '1' when it is terminal, else '0'.
// Trims every index by age on the writers' clock (`now`, the clock the entries' scores come from, not Redis' TIME): a
// status entry older than its job's TTL (Redis expired the job, even if no sweep saw it), a sweep entry older than
// INDEX_AGE_FACTOR times that. Returns the counts.
const COUNT = new RedisScript(`
local now, stale, finished, factor = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - factor * stale))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - factor * finished))
local counts = {}
for i = 3, #KEYS do
  local maxAge = ARGV[i + 2] == '1' and finished or stale
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. (now - maxAge))
  counts[#counts + 1] = redis.call('ZCARD', KEYS[i])
end
return counts
`);

// KEYS: job hash, updates list, active index, finished index, then the per-status indexes. ARGV: jobId, expected seq or ''.
// Returns 1 when this call removed the job, or its sweep index entry after Redis expired the job; then it also takes
// the job out of the per-status counts. Returns 0 otherwise, and then no count changes: when a newer update came in,
// only the sweep entry of the older seq goes (the job lives on); when Redis already expired the job and no seq is
// given, there is no entry to find (its status entry goes by age, see COUNT, and the sweep still reports it).
const DELETE = new RedisScript(`
local cur = redis.call('HGET', KEYS[1], 'seq')
if cur and ARGV[2] ~= '' and cur ~= ARGV[2] then
  local outdated = ARGV[2] .. '|' .. ARGV[1]
  redis.call('ZREM', KEYS[3], outdated)
  redis.call('ZREM', KEYS[4], outdated)
  return 0
end
local seq = cur or ARGV[2]
if seq == '' then return 0 end
local member = seq .. '|' .. ARGV[1]
local removed = redis.call('ZREM', KEYS[3], member) + redis.call('ZREM', KEYS[4], member)
if cur then
  redis.call('DEL', KEYS[1], KEYS[2])
  removed = removed + 1
end
if removed == 0 then return 0 end
for i = 5, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`);

/**
 * A `JobStore` in Redis, shared by every server node and job publisher: atomic `seq` (Lua), snapshot, capped list of
 * recent updates for `lastSeq` recovery, and retention by Redis expiry (terminal jobs after `finishedJobRetentionMs`,
 * jobs without updates after `staleJobMs`). `size()` and `countByStatus()` answer from counts of the whole cluster that
 * `refreshCounts()` and each sweep read; the counts heal by age (on the writers' clock, as the sweep), so a job Redis
 * expired stops counting even if no sweep saw it. Needs Redis 4.0 or later. Every writer must run the same version (they share the scripts and the key layout). Works with a standalone
 * Redis, Sentinel, and Redis Cluster (given an ioredis `Cluster`): the keys of one job share a hash tag with its bucket's
 * indexes (64 buckets on a cluster, 1 otherwise), so each script touches one slot, and the counts and the sweep read
 * every bucket.
 */
export class RedisJobStore implements JobStore {
  readonly #client: Redis;
  readonly #keys: RedisKeys;
  readonly #bufferSize: number;
  readonly #staleJobMs: number;
  readonly #finishedJobTtlMs: number;
  readonly #now: () => number;
  readonly #waitForReplicas: ResolvedReplicaWait | undefined;
  readonly #onReplicaShortfall: ((shortfall: ReplicaShortfall) => void) | undefined;
  #counts: JobStatusCounts = zeroCounts();
  #refreshing: Promise<void> | undefined;
  #closed = false;

  /** @throws RangeError when `bufferSize`, `staleJobMs` or `finishedJobRetentionMs` is out of its bounds (checked before any write). */
  constructor(options: RedisJobStoreOptions) {
    for (const limit of ['bufferSize', 'staleJobMs', 'finishedJobRetentionMs'] as const) checkHistoryLimit(limit, options[limit]);
    this.#client = asIoRedis(options.client);
    this.#keys = redisKeys(resolveKeyPrefix(options.keyPrefix), this.#client.isCluster ? CLUSTER_BUCKETS : 1);
    this.#bufferSize = options.bufferSize ?? JOB_SERVER_DEFAULTS.jobs.bufferSize;
    this.#staleJobMs = options.staleJobMs ?? JOB_SERVER_DEFAULTS.sweep.staleJobMs;
    this.#finishedJobTtlMs = Math.max(options.finishedJobRetentionMs ?? JOB_SERVER_DEFAULTS.sweep.finishedJobRetentionMs, MIN_FINISHED_JOB_TTL_MS);
    this.#now = options.now ?? Date.now;
    this.#waitForReplicas = resolveReplicaWait(options.waitForReplicas);
    this.#onReplicaShortfall = options.onReplicaShortfall;
  }

  async append(jobId: string, input: JobUpdateInput, at: number): Promise<JobUpdate> {
    const fields: Omit<JobUpdate, 'seq' | 'epoch'> = { jobId, status: input.status, at };
    if (input.progress !== undefined) fields.progress = input.progress;
    if (input.data !== undefined) fields.data = input.data;
    const terminal = isTerminal(input.status);
    const keys = this.#jobKeys(jobId);
    const args = [
      jobId,
      input.status,
      JSON.stringify(fields),
      terminal ? '1' : '0',
      at,
      this.#bufferSize,
      terminal ? this.#finishedJobTtlMs : this.#staleJobMs,
      INDEX_AGE_FACTOR * Math.max(this.#staleJobMs, this.#finishedJobTtlMs),
      JOB_STATUSES.indexOf(input.status) + 1,
      newEpoch(),
    ];
    const { result, acknowledged } = await this.#appendScript(keys, args);
    const [seq, status, epoch] = result as [number, JobStatus, string];
    if (seq === 0) {
      throw new JobProtocolError(protocolError(ErrorCode.INVALID_PAYLOAD, `job ${jobId} already ended with status ${status}`));
    }
    const update: JobUpdate = { jobId, epoch, seq, status: input.status, at };
    if (input.progress !== undefined) update.progress = input.progress;
    if (input.data !== undefined) update.data = input.data;
    const wait = this.#waitForReplicas;
    if (wait && acknowledged !== undefined && acknowledged < wait.replicas) this.#onReplicaShortfall?.({ jobId, seq, acknowledged, replicas: wait.replicas });
    return update;
  }

  /** Runs the append script, followed by `WAIT` when replicas must acknowledge it (`acknowledged` is then their count). */
  async #appendScript(keys: readonly string[], args: readonly (string | number)[]): Promise<{ result: unknown; acknowledged?: number }> {
    const wait = this.#waitForReplicas;
    if (!wait) return { result: await APPEND.run(this.#client, keys, args) };
    try {
      return await APPEND.runThenWait(this.#client, keys, args, wait.replicas, wait.timeoutMs);
    } catch (error) {
      // A pipeline is not redirected by ioredis (its WAIT is no read): learn the new owner of the slot for the next
      // attempt. Nothing was written; the caller answers UNAVAILABLE and is retried.
      if (this.#client.isCluster && error instanceof Error && /^(MOVED|ASK) /.test(error.message)) asIoRedisCluster(this.#client).refreshSlotsCache();
      throw error;
    }
  }

  async get(jobId: string): Promise<JobUpdate | null> {
    const json = await this.#client.hget(this.#keysOf(jobId).job(jobId), 'snapshot');
    return json === null ? null : (JSON.parse(json) as JobUpdate);
  }

  async replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay> {
    if (lastSeq === undefined) return replayWindow(await this.get(jobId), [], undefined);
    // One transaction, so that the snapshot and the buffer belong to the same moment.
    const keys = this.#keysOf(jobId);
    const [snapshot, buffer] = (await execAll(this.#client.multi().hget(keys.job(jobId), 'snapshot').lrange(keys.updates(jobId), 0, -1))) as [
      string | null,
      string[],
    ];
    return replayWindow(snapshot === null ? null : (JSON.parse(snapshot) as JobUpdate), buffer.map((json) => JSON.parse(json) as JobUpdate), lastSeq);
  }

  async delete(jobId: string, expectedSeq?: number): Promise<boolean> {
    const removed = await DELETE.run(this.#client, this.#jobKeys(jobId), [jobId, expectedSeq ?? '']);
    return removed === 1;
  }

  /**
   * Oldest first, at most `limit` (default 500) of each kind. Finished jobs that `keep` keeps count neither in what it
   * reports nor in `limit`: it reads on past them, a page of `limit` entries at a time, at most
   * `FINISHED_PAGES_PER_CALL` pages per call (without `keep`, or while nothing is kept, one). Also refreshes the counts,
   * as `refreshCounts()` but by the rule's `now`; a failed count read does not fail the sweep: the counts stay as they
   * were, and a `refreshCounts()` sharing that read (a server's tick) rejects with it, as does the next one while Redis
   * keeps failing.
   */
  async findExpired({ now, staleJobMs, finishedJobRetentionMs, limit = EXPIRED_BATCH, keep }: ExpiryRule): Promise<ExpiredJob[]> {
    const [found] = await Promise.allSettled([this.#readExpired(now - staleJobMs, now - finishedJobRetentionMs, limit, keep), this.#refreshCounts(now)]);
    if (found.status === 'rejected') throw found.reason;
    return found.value;
  }

  /** Reads every bucket and keeps the oldest `limit` of each kind. */
  async #readExpired(staleBefore: number, finishedBefore: number, limit: number, keep: ExpiryRule['keep']): Promise<ExpiredJob[]> {
    const perBucket = await Promise.all(this.#buckets().map((keys) => this.#readExpiredIn(keys, staleBefore, finishedBefore, limit, keep)));
    const oldest = (kind: ExpiredJob['kind']): ScoredJob[] =>
      perBucket
        .flat()
        .filter((entry) => entry.job.kind === kind)
        .sort((a, b) => a.score - b.score)
        .slice(0, limit);
    return [...oldest('stale'), ...oldest('finished')].map(({ job }) => job);
  }

  async #readExpiredIn(keys: RedisBucketKeys, staleBefore: number, finishedBefore: number, limit: number, keep: ExpiryRule['keep']): Promise<ScoredJob[]> {
    const transaction = this.#client
      .multi()
      .zrangebyscore(keys.activeJobs, '-inf', staleBefore, 'WITHSCORES', 'LIMIT', 0, limit)
      .zrangebyscore(keys.finishedJobs, '-inf', finishedBefore, 'WITHSCORES', 'LIMIT', 0, limit);
    const [stale, firstPage] = (await execAll(transaction)) as [string[], string[]];
    const finished: ScoredJob[] = [];
    let page = scoredJobs(firstPage, 'finished');
    for (let pages = 1; ; pages += 1) {
      for (const entry of page) {
        if (keep?.(entry.job.jobId)) continue;
        finished.push(entry);
        if (finished.length >= limit) break;
      }
      // A short page ends the expired part of the index. Paging by offset: an entry another node deletes meanwhile may
      // make this one skip a job, which the next sweep then finds.
      if (finished.length >= limit || page.length < limit || pages >= FINISHED_PAGES_PER_CALL) break;
      page = scoredJobs(await this.#client.zrangebyscore(keys.finishedJobs, '-inf', finishedBefore, 'WITHSCORES', 'LIMIT', pages * limit, limit), 'finished');
    }
    return [...scoredJobs(stale, 'stale'), ...finished];
  }

  /**
   * Reads how many jobs of the whole cluster are in each status (one atomic script) and keeps the result for `size()`
   * and `countByStatus()`. On the way it drops, by the `now` option's clock (the one the entries were stamped with), the
   * status entries older than their job's TTL (Redis expired the job) and the sweep's index entries older than twice
   * that (the sweep fell behind), so the counts and the indexes heal by themselves. A server calls it on every tick of
   * its ticker; concurrent calls (and the sweep's) share one read.
   */
  refreshCounts(): Promise<void> {
    return this.#refreshCounts(this.#now());
  }

  #refreshCounts(now: number): Promise<void> {
    const args = [now, this.#staleJobMs, this.#finishedJobTtlMs, INDEX_AGE_FACTOR, ...JOB_STATUSES.map((status) => (isTerminal(status) ? '1' : '0'))];
    this.#refreshing ??= Promise.all(this.#buckets().map((keys) => COUNT.run(this.#client, countKeys(keys), args)))
      .then((perBucket) => this.#keepCounts(JOB_STATUSES.map((_, index) => (perBucket as number[][]).reduce((sum, counts) => sum + (counts[index] ?? 0), 0))))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Jobs in the shared store (all nodes) as of the last `refreshCounts()` or sweep; 0 after `close()`. */
  size(): number {
    return JOB_STATUSES.reduce((sum, status) => sum + this.#counts[status], 0);
  }

  /**
   * Jobs per status in the shared store (all nodes) as of the last `refreshCounts()` or sweep; zeros after `close()`.
   * Like `MemoryJobStore`, it counts a job until the sweep drops it, or here until Redis expires it.
   */
  countByStatus(): JobStatusCounts {
    return { ...this.#counts };
  }

  /** Forgets the cached counts; the jobs stay in Redis for the other nodes, and the client stays open for its owner. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#counts = zeroCounts();
  }

  #buckets(): RedisBucketKeys[] {
    return Array.from({ length: this.#keys.buckets }, (_, index) => this.#keys.bucket(index));
  }

  #keysOf(jobId: string): RedisBucketKeys {
    return this.#keys.bucket(this.#keys.bucketOf(jobId));
  }

  #keepCounts(counts: readonly number[]): void {
    // A read that was in flight when the store closed must not bring counts back.
    if (this.#closed) return;
    this.#counts = Object.fromEntries(JOB_STATUSES.map((status, index) => [status, counts[index] ?? 0])) as JobStatusCounts;
  }

  #jobKeys(jobId: string): string[] {
    const keys = this.#keysOf(jobId);
    return [keys.job(jobId), keys.updates(jobId), ...countKeys(keys)];
  }
}

/** A bucket's sweep and count indexes, in the order the scripts take them. */
function countKeys(keys: RedisBucketKeys): string[] {
  return [keys.activeJobs, keys.finishedJobs, ...JOB_STATUSES.map((status) => keys.jobsWithStatus(status))];
}

/** An expired job with its index score (the time of its last update), to merge the buckets oldest first. */
interface ScoredJob {
  job: ExpiredJob;
  score: number;
}

/** Entries of a `WITHSCORES` reply of a sweep index (`seq|jobId`, score, ...). */
function scoredJobs(reply: readonly string[], kind: ExpiredJob['kind']): ScoredJob[] {
  const entries: ScoredJob[] = [];
  for (let index = 0; index + 1 < reply.length; index += 2) {
    const member = reply[index]!;
    const separator = member.indexOf('|');
    entries.push({ job: { jobId: member.slice(separator + 1), lastSeq: Number(member.slice(0, separator)), kind }, score: Number(reply[index + 1]) });
  }
  return entries;
}

function zeroCounts(): JobStatusCounts {
  return Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as JobStatusCounts;
}

/** Runs a transaction and resolves its results in order; rejects with the first command error. */
async function execAll(transaction: ChainableCommander): Promise<unknown[]> {
  const results = await transaction.exec();
  if (!results) throw new Error('the Redis transaction was aborted');
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results.map(([, value]) => value);
}
