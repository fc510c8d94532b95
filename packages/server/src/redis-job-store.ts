import { ErrorCode, isTerminal, JobProtocolError, protocolError, type JobStatus, type JobUpdate, type JobUpdateInput } from '@org/ws-protocol';
import type { Redis } from 'ioredis';
import type { ExpiredJob, ExpiryRule, JobReplay, JobStore } from './job-store';
import { JOB_SERVER_DEFAULTS } from './options';
import { redisKeys, type RedisKeys } from './redis-keys';
import { asIoRedis, REDIS_DEFAULTS, type RedisClientLike } from './redis-options';
import { RedisScript } from './redis-script';
import { replayWindow } from './replay-window';

/** Options of `RedisJobStore`. */
export interface RedisJobStoreOptions {
  /** Connected ioredis client for commands (not one in subscriber mode). */
  client: RedisClientLike;
  /** Prefix of every key; all servers and publishers of one deployment share it. @default 'ws-jobs:' */
  keyPrefix?: string;
  /** Recent updates kept per job for `lastSeq` recovery. @default 100 */
  bufferSize?: number;
  /** A non-terminal job without an update for this long expires. @default 3600000 (1 h) */
  staleJobMs?: number;
  /** A terminal job expires this long after its terminal update. @default 300000 (5 min) */
  finishedJobRetentionMs?: number;
}

/** Most expired jobs one `findExpired` call reports per kind, so one sweep stays bounded. */
const EXPIRED_BATCH = 500;

// KEYS: job hash, updates list, active index, finished index.
// ARGV: jobId, status, update JSON without seq, terminal flag, at, bufferSize, retention of this update, index retention.
// Assigns the next seq atomically, so that no two nodes or publishers ever hand out the same one.
const APPEND = new RedisScript(`
local prev = redis.call('HMGET', KEYS[1], 'seq', 'status', 'terminal')
local seq = 1
if prev[1] then
  if prev[3] == '1' then return {0, prev[2]} end
  seq = tonumber(prev[1]) + 1
  redis.call('ZREM', KEYS[3], prev[1] .. '|' .. ARGV[1])
end
local json = '{"seq":' .. seq .. ',' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[1], 'seq', seq, 'status', ARGV[2], 'terminal', ARGV[4], 'snapshot', json)
redis.call('RPUSH', KEYS[2], json)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call('ZADD', ARGV[4] == '1' and KEYS[4] or KEYS[3], ARGV[5], seq .. '|' .. ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[8])
redis.call('PEXPIRE', KEYS[4], ARGV[8])
return {seq, ARGV[2]}
`);

// KEYS: job hash, updates list, active index, finished index. ARGV: jobId, expected seq or ''.
// Returns 1 when this call removed the job (or its index entry after Redis expired the job), 0 otherwise.
const DELETE = new RedisScript(`
local cur = redis.call('HGET', KEYS[1], 'seq')
local seq = ARGV[2] ~= '' and ARGV[2] or cur
local member = (seq or '') .. '|' .. ARGV[1]
if cur and ARGV[2] ~= '' and cur ~= ARGV[2] then
  redis.call('ZREM', KEYS[3], member)
  redis.call('ZREM', KEYS[4], member)
  return 0
end
local removed = redis.call('ZREM', KEYS[3], member) + redis.call('ZREM', KEYS[4], member)
if cur then
  redis.call('DEL', KEYS[1], KEYS[2])
  removed = removed + 1
end
if removed > 0 then return 1 end
return 0
`);

/**
 * A `JobStore` in Redis, shared by every server node and job publisher: atomic `seq` (Lua), snapshot, capped list of
 * recent updates for `lastSeq` recovery, and retention by Redis expiry (terminal jobs after `finishedJobRetentionMs`,
 * jobs without updates after `staleJobMs`). Works with a standalone Redis or Sentinel, not Redis Cluster.
 */
export class RedisJobStore implements JobStore {
  readonly #client: Redis;
  readonly #keys: RedisKeys;
  readonly #bufferSize: number;
  readonly #staleJobMs: number;
  readonly #finishedJobRetentionMs: number;
  #knownJobs = 0;

  constructor(options: RedisJobStoreOptions) {
    this.#client = asIoRedis(options.client);
    this.#keys = redisKeys(options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix);
    this.#bufferSize = options.bufferSize ?? JOB_SERVER_DEFAULTS.jobs.bufferSize;
    this.#staleJobMs = options.staleJobMs ?? JOB_SERVER_DEFAULTS.sweep.staleJobMs;
    this.#finishedJobRetentionMs = options.finishedJobRetentionMs ?? JOB_SERVER_DEFAULTS.sweep.finishedJobRetentionMs;
  }

  async append(jobId: string, input: JobUpdateInput, at: number): Promise<JobUpdate> {
    const fields: Omit<JobUpdate, 'seq'> = { jobId, status: input.status, at };
    if (input.progress !== undefined) fields.progress = input.progress;
    if (input.data !== undefined) fields.data = input.data;
    const terminal = isTerminal(input.status);
    const keys = this.#jobKeys(jobId);
    const [seq, status] = (await APPEND.run(this.#client, keys, [
      jobId,
      input.status,
      JSON.stringify(fields),
      terminal ? '1' : '0',
      at,
      this.#bufferSize,
      terminal ? this.#finishedJobRetentionMs : this.#staleJobMs,
      Math.max(this.#staleJobMs, this.#finishedJobRetentionMs),
    ])) as [number, JobStatus];
    if (seq === 0) {
      throw new JobProtocolError(protocolError(ErrorCode.INVALID_PAYLOAD, `job ${jobId} already ended with status ${status}`));
    }
    const update: JobUpdate = { jobId, seq, status: input.status, at };
    if (input.progress !== undefined) update.progress = input.progress;
    if (input.data !== undefined) update.data = input.data;
    return update;
  }

  async get(jobId: string): Promise<JobUpdate | null> {
    const json = await this.#client.hget(this.#keys.job(jobId), 'snapshot');
    return json === null ? null : (JSON.parse(json) as JobUpdate);
  }

  async replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay> {
    if (lastSeq === undefined) return replayWindow(await this.get(jobId), [], undefined);
    // One transaction, so that the snapshot and the buffer belong to the same moment.
    const results = await this.#client.multi().hget(this.#keys.job(jobId), 'snapshot').lrange(this.#keys.updates(jobId), 0, -1).exec();
    if (!results) throw new Error('the Redis transaction was aborted');
    const [[snapshotError, snapshot], [bufferError, buffer]] = results as [[Error | null, string | null], [Error | null, string[]]];
    if (snapshotError ?? bufferError) throw snapshotError ?? bufferError;
    return replayWindow(snapshot === null ? null : (JSON.parse(snapshot) as JobUpdate), buffer.map((json) => JSON.parse(json) as JobUpdate), lastSeq);
  }

  async delete(jobId: string, expectedSeq?: number): Promise<boolean> {
    const removed = await DELETE.run(this.#client, this.#jobKeys(jobId), [jobId, expectedSeq ?? '']);
    return removed === 1;
  }

  async findExpired({ now, staleJobMs, finishedJobRetentionMs }: ExpiryRule): Promise<ExpiredJob[]> {
    const results = await this.#client
      .multi()
      .zrangebyscore(this.#keys.activeJobs, '-inf', now - staleJobMs, 'LIMIT', 0, EXPIRED_BATCH)
      .zrangebyscore(this.#keys.finishedJobs, '-inf', now - finishedJobRetentionMs, 'LIMIT', 0, EXPIRED_BATCH)
      .zcard(this.#keys.activeJobs)
      .zcard(this.#keys.finishedJobs)
      .exec();
    if (!results) throw new Error('the Redis transaction was aborted');
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const [[, stale], [, finished], [, active], [, ended]] = results as [[null, string[]], [null, string[]], [null, number], [null, number]];
    this.#knownJobs = active + ended;
    return [...stale.map((member) => expiredJob(member, 'stale')), ...finished.map((member) => expiredJob(member, 'finished'))];
  }

  /** Jobs in the shared store (all nodes) as of this node's last sweep; 0 after `close()`. */
  size(): number {
    return this.#knownJobs;
  }

  /** Forgets the cached size; the jobs stay in Redis for the other nodes, and the client stays open for its owner. */
  async close(): Promise<void> {
    this.#knownJobs = 0;
  }

  #jobKeys(jobId: string): string[] {
    return [this.#keys.job(jobId), this.#keys.updates(jobId), this.#keys.activeJobs, this.#keys.finishedJobs];
  }
}

function expiredJob(member: string, kind: ExpiredJob['kind']): ExpiredJob {
  const separator = member.indexOf('|');
  return { jobId: member.slice(separator + 1), lastSeq: Number(member.slice(0, separator)), kind };
}
