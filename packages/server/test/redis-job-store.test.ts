import { JobProtocolError } from '@org/ws-protocol';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisJobStore } from '../src/index';
import { closeRedisClient, REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from './support/redis-test-env';

const skip = await skipWithoutRedis('RedisJobStore');

describe.skipIf(skip)('RedisJobStore against a real Redis', () => {
  let prefix: string;
  let clients: Redis[];

  const newStore = (options: { bufferSize?: number; staleJobMs?: number; finishedJobRetentionMs?: number } = {}): RedisJobStore => {
    const client = new Redis(REDIS_URL);
    clients.push(client);
    return new RedisJobStore({ client, keyPrefix: prefix, ...options });
  };

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
    clients = [];
  });

  afterEach(async () => {
    await Promise.all(clients.map(closeRedisClient));
    await removeKeys(prefix);
  });

  it('hands out every seq exactly once when several nodes append to one job at the same time', async () => {
    const stores = [newStore(), newStore(), newStore(), newStore()];
    const appended = await Promise.all(
      Array.from({ length: 200 }, (_, index) => stores[index % stores.length]!.append('job-1', { status: 'running', progress: index % 100 }, 1000 + index)),
    );
    const seqs = appended.map((update) => update.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
    expect((await stores[0]!.get('job-1'))?.seq).toBe(200);
  });

  it('refuses updates after a terminal one, from any node, with INVALID_PAYLOAD', async () => {
    const [a, b] = [newStore(), newStore()];
    await a.append('job-1', { status: 'running' }, 1);
    await a.append('job-1', { status: 'completed', data: { url: 'https://x.test/file' } }, 2);
    const refusal = b.append('job-1', { status: 'running' }, 3);
    await expect(refusal).rejects.toBeInstanceOf(JobProtocolError);
    await expect(refusal).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(await b.get('job-1')).toEqual({ jobId: 'job-1', seq: 2, status: 'completed', data: { url: 'https://x.test/file' }, at: 2 });
  });

  it('replays the updates after lastSeq from the capped buffer, and asks for a resync beyond it', async () => {
    const store = newStore({ bufferSize: 3 });
    for (let progress = 1; progress <= 5; progress += 1) await store.append('job-1', { status: 'running', progress }, progress);
    const replay = await store.replay('job-1', 3);
    expect(replay.resync).toBe(false);
    expect(replay.updates.map((update) => update.seq)).toEqual([4, 5]);
    expect(replay.snapshot?.seq).toBe(5);
    expect(await store.replay('job-1', 1)).toMatchObject({ resync: true, updates: [] });
    expect(await store.replay('job-1', 5)).toMatchObject({ resync: false, updates: [] });
    expect(await store.replay('job-1', undefined)).toMatchObject({ resync: false, updates: [], snapshot: { seq: 5 } });
    expect(await store.replay('unknown', 4)).toEqual({ snapshot: null, updates: [], resync: true });
    expect(await store.replay('unknown', undefined)).toEqual({ snapshot: null, updates: [], resync: false });
  });

  it('keeps a running job for staleJobMs and a finished one for finishedJobRetentionMs, by Redis expiry', async () => {
    const store = newStore({ staleJobMs: 60_000, finishedJobRetentionMs: 5_000 });
    await store.append('running-job', { status: 'running' }, 1);
    await store.append('done-job', { status: 'running' }, 1);
    await store.append('done-job', { status: 'failed' }, 2);
    const probe = clients[0]!;
    const runningTtl = await probe.pttl(`${prefix}job:running-job`);
    const doneTtl = await probe.pttl(`${prefix}job:done-job`);
    expect(runningTtl).toBeGreaterThan(50_000);
    expect(runningTtl).toBeLessThanOrEqual(60_000);
    expect(doneTtl).toBeGreaterThan(0);
    expect(doneTtl).toBeLessThanOrEqual(5_000);
    expect(await probe.pttl(`${prefix}updates:done-job`)).toBeLessThanOrEqual(5_000);
  });

  it('finds stale and finished jobs, and only one node wins their deletion', async () => {
    const [a, b] = [newStore(), newStore()];
    await a.append('stale-job', { status: 'running' }, 1_000);
    await a.append('fresh-job', { status: 'running' }, 9_000);
    await a.append('done-job', { status: 'completed' }, 2_000);
    const expired = await b.findExpired({ now: 10_000, staleJobMs: 5_000, finishedJobRetentionMs: 5_000 });
    expect(expired).toEqual([
      { jobId: 'stale-job', lastSeq: 1, kind: 'stale' },
      { jobId: 'done-job', lastSeq: 1, kind: 'finished' },
    ]);
    expect(b.size()).toBe(3);
    const wins = await Promise.all([a.delete('stale-job', 1), b.delete('stale-job', 1)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await a.get('stale-job')).toBeNull();
    await b.close();
    expect(b.size()).toBe(0);
  });

  it('does not delete a job updated since the sweep found it', async () => {
    const store = newStore();
    await store.append('job-1', { status: 'running' }, 1);
    await store.append('job-1', { status: 'running' }, 2);
    expect(await store.delete('job-1', 1)).toBe(false);
    expect((await store.get('job-1'))?.seq).toBe(2);
    expect(await store.delete('job-1', 2)).toBe(true);
    expect(await store.get('job-1')).toBeNull();
  });

  it('reports a job that Redis already expired as stale once, so its watchers can be told', async () => {
    const store = newStore({ staleJobMs: 1_000 });
    await store.append('job-1', { status: 'running' }, 1);
    await clients[0]!.del(`${prefix}job:job-1`, `${prefix}updates:job-1`);
    expect(await store.findExpired({ now: 5_000, staleJobMs: 1_000, finishedJobRetentionMs: 1_000 })).toEqual([{ jobId: 'job-1', lastSeq: 1, kind: 'stale' }]);
    expect(await store.delete('job-1', 1)).toBe(true);
    expect(await store.findExpired({ now: 5_000, staleJobMs: 1_000, finishedJobRetentionMs: 1_000 })).toEqual([]);
  });

  it('counts the jobs of every node per status, and stops counting a job once the sweep deleted it', async () => {
    const [a, b] = [newStore(), newStore()];
    await a.append('queued-job', { status: 'queued' }, 1);
    await b.append('running-job', { status: 'queued' }, 1);
    await a.append('running-job', { status: 'running', progress: 40 }, 2);
    await b.append('done-job', { status: 'running' }, 1);
    await a.append('done-job', { status: 'completed' }, 2);
    await b.append('failed-job', { status: 'failed' }, 1);
    expect(a.countByStatus()).toEqual({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });

    const counts = { queued: 1, running: 1, completed: 1, failed: 1, cancelled: 0 };
    expect(await a.refreshCounts()).toEqual(counts);
    expect(a.countByStatus()).toEqual(counts);
    expect(a.size()).toBe(4);
    // A refused update changes nothing; a delete that lost the race to a newer update neither.
    await expect(b.append('done-job', { status: 'cancelled' }, 3)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(await b.delete('running-job', 1)).toBe(false);
    expect(await b.refreshCounts()).toEqual(counts);

    // The sweep reads the counts too, and each job it deletes leaves them.
    const expired = await b.findExpired({ now: 10_000, staleJobMs: 5_000, finishedJobRetentionMs: 5_000 });
    expect(b.countByStatus()).toEqual(counts);
    for (const job of expired) expect(await b.delete(job.jobId, job.lastSeq)).toBe(true);
    expect(await a.refreshCounts()).toEqual({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    await b.close();
    expect(b.countByStatus()).toEqual({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(b.size()).toBe(0);
  });

  it('still refuses a late update with finishedJobRetentionMs 0, as the memory store does, until the sweep drops the job', async () => {
    const store = newStore({ finishedJobRetentionMs: 0 });
    await store.append('job-1', { status: 'running' }, 1);
    await store.append('job-1', { status: 'completed' }, 2);
    await expect(store.append('job-1', { status: 'running' }, 3)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect((await store.get('job-1'))?.seq).toBe(2);
    const ttl = await clients[0]!.pttl(`${prefix}job:job-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    expect(await store.findExpired({ now: 2, staleJobMs: 60_000, finishedJobRetentionMs: 0 })).toEqual([{ jobId: 'job-1', lastSeq: 2, kind: 'finished' }]);
  });
});
