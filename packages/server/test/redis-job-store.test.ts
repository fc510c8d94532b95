import { JobProtocolError } from '@org/ws-protocol';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisJobStore, type RedisJobStoreOptions } from '../src/index';
import { FINISHED_PAGES_PER_CALL } from '../src/redis/redis-job-store';
import { closeRedisClient, REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from './support/redis-test-env';

const skip = await skipWithoutRedis('RedisJobStore');

const ZERO_COUNTS = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 } as const;
const HOUR = 60 * 60 * 1000;

describe.skipIf(skip)('RedisJobStore against a real Redis', () => {
  let prefix: string;
  let clients: Redis[];

  const newStore = (options: Omit<RedisJobStoreOptions, 'client' | 'keyPrefix'> = {}): RedisJobStore => {
    const client = new Redis(REDIS_URL);
    clients.push(client);
    return new RedisJobStore({ client, keyPrefix: prefix, ...options });
  };

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
    clients = [];
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(clients.map(closeRedisClient));
    await removeKeys(prefix);
  });

  it('keeps one epoch per history, shared by every node; a job dropped, or lost with the data, starts a new one', async () => {
    const [a, b] = [newStore(), newStore()];
    const first = await a.append('job-1', { status: 'running' }, 1);
    expect((await b.append('job-1', { status: 'running' }, 2)).epoch).toBe(first.epoch);
    expect(await a.get('job-1')).toMatchObject({ epoch: first.epoch, seq: 2 });
    expect(await a.delete('job-1')).toBe(true);
    const again = await b.append('job-1', { status: 'running' }, 3);
    expect(again).toMatchObject({ seq: 1 });
    expect(again.epoch).not.toBe(first.epoch);
    await removeKeys(prefix); // what a Redis restarted without persistence holds
    const lost = await a.append('job-1', { status: 'running' }, 4);
    expect(lost).toMatchObject({ seq: 1 });
    expect([first.epoch, again.epoch]).not.toContain(lost.epoch);
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
    expect(await b.get('job-1')).toEqual({ jobId: 'job-1', epoch: expect.any(String), seq: 2, status: 'completed', data: { url: 'https://x.test/file' }, at: 2 });
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
    const t0 = Date.now();
    await a.append('stale-job', { status: 'running' }, t0 + 1_000);
    await a.append('fresh-job', { status: 'running' }, t0 + 9_000);
    await a.append('done-job', { status: 'completed' }, t0 + 2_000);
    const expired = await b.findExpired({ now: t0 + 10_000, staleJobMs: 5_000, finishedJobRetentionMs: 5_000 });
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
    const t0 = Date.now();
    await store.append('job-1', { status: 'running' }, t0);
    await clients[0]!.del(`${prefix}job:job-1`, `${prefix}updates:job-1`);
    const rule = { now: t0 + 1_500, staleJobMs: 1_000, finishedJobRetentionMs: 1_000 };
    expect(await store.findExpired(rule)).toEqual([{ jobId: 'job-1', lastSeq: 1, kind: 'stale' }]);
    expect(await store.delete('job-1', 1)).toBe(true);
    expect(await store.findExpired(rule)).toEqual([]);
  });

  it('reports at most limit expired jobs of each kind, oldest first, 500 without a limit', async () => {
    const store = newStore();
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 501 }, (_, index) => store.append(`stale-${index}`, { status: 'running' }, t0 - 1_000 + index)));
    for (const index of [2, 1, 0]) await store.append(`done-${index}`, { status: 'completed' }, t0 - 1_000 + index);
    const rule = { now: t0, staleJobMs: 500, finishedJobRetentionMs: 500 };
    expect((await store.findExpired({ ...rule, limit: 2 })).map((job) => job.jobId)).toEqual(['stale-0', 'stale-1', 'done-0', 'done-1']);
    const unlimited = await store.findExpired(rule);
    expect(unlimited.filter((job) => job.kind === 'stale')).toHaveLength(500);
    expect(unlimited.filter((job) => job.kind === 'finished')).toHaveLength(3);
  });

  it('reads past the finished jobs to keep, so that 500 kept ones do not hide the 100 droppable ones behind them', async () => {
    const store = newStore();
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 600 }, (_, index) => store.append(`done-${index}`, { status: 'completed' }, t0 - 10_000 + index)));
    const rule = { now: t0, staleJobMs: 5_000, finishedJobRetentionMs: 5_000, limit: 500 };
    const kept = (jobId: string): boolean => Number(jobId.slice('done-'.length)) < 500;

    const found = await store.findExpired({ ...rule, keep: kept });
    expect(found.map((job) => job.jobId)).toEqual(Array.from({ length: 100 }, (_, index) => `done-${500 + index}`));
    expect(found.every((job) => job.kind === 'finished' && job.lastSeq === 1)).toBe(true);
    // Without keep, the oldest 500 as before.
    expect((await store.findExpired(rule)).map((job) => job.jobId)).toEqual(Array.from({ length: 500 }, (_, index) => `done-${index}`));
  });

  it('stops at limit droppable jobs past the kept ones, and reads at most FINISHED_PAGES_PER_CALL pages per call', async () => {
    const store = newStore();
    const t0 = Date.now();
    const limit = 2;
    const total = FINISHED_PAGES_PER_CALL * limit + 3;
    await Promise.all(Array.from({ length: total }, (_, index) => store.append(`done-${index}`, { status: 'completed' }, t0 - 10_000 + index)));
    const rule = { now: t0, staleJobMs: 5_000, finishedJobRetentionMs: 5_000, limit };
    const keepBelow = (count: number): ((jobId: string) => boolean) => (jobId) => Number(jobId.slice('done-'.length)) < count;
    const lastPageStart = (FINISHED_PAGES_PER_CALL - 1) * limit;

    // The first droppable jobs come from the last page it may read: limit of them, no more.
    expect((await store.findExpired({ ...rule, keep: keepBelow(lastPageStart) })).map((job) => job.jobId)).toEqual([`done-${lastPageStart}`, `done-${lastPageStart + 1}`]);
    // One droppable job in the last page, the next one beyond it: only the first.
    expect((await store.findExpired({ ...rule, keep: keepBelow(lastPageStart + 1) })).map((job) => job.jobId)).toEqual([`done-${lastPageStart + 1}`]);
    // Every page it may read kept: the droppable jobs behind them wait.
    expect(await store.findExpired({ ...rule, keep: keepBelow(FINISHED_PAGES_PER_CALL * limit) })).toEqual([]);
  });

  it('counts the jobs of every node per status, and stops counting a job once the sweep deleted it', async () => {
    const [a, b] = [newStore(), newStore()];
    const t0 = Date.now();
    await a.append('queued-job', { status: 'queued' }, t0 + 1);
    await b.append('running-job', { status: 'queued' }, t0 + 1);
    await a.append('running-job', { status: 'running', progress: 40 }, t0 + 2);
    await b.append('done-job', { status: 'running' }, t0 + 1);
    await a.append('done-job', { status: 'completed' }, t0 + 2);
    await b.append('failed-job', { status: 'failed' }, t0 + 1);
    expect(a.countByStatus()).toEqual(ZERO_COUNTS);

    const counts = { queued: 1, running: 1, completed: 1, failed: 1, cancelled: 0 };
    await a.refreshCounts();
    expect(a.countByStatus()).toEqual(counts);
    expect(a.size()).toBe(4);
    // A refused update changes nothing; a delete that lost the race to a newer update neither.
    await expect(b.append('done-job', { status: 'cancelled' }, t0 + 3)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(await b.delete('running-job', 1)).toBe(false);
    await b.refreshCounts();
    expect(b.countByStatus()).toEqual(counts);

    // The sweep reads the counts too, and each job it deletes leaves them.
    const expired = await b.findExpired({ now: t0 + 10_000, staleJobMs: 5_000, finishedJobRetentionMs: 5_000 });
    expect(b.countByStatus()).toEqual(counts);
    for (const job of expired) expect(await b.delete(job.jobId, job.lastSeq)).toBe(true);
    await a.refreshCounts();
    expect(a.countByStatus()).toEqual(ZERO_COUNTS);
    await b.close();
    expect(b.countByStatus()).toEqual(ZERO_COUNTS);
    expect(b.size()).toBe(0);
  });

  it('changes no count when a delete deletes nothing, and takes the job out of them when it does', async () => {
    const store = newStore();
    const t0 = Date.now();
    await store.append('job-1', { status: 'running' }, t0);
    await store.append('job-1', { status: 'running' }, t0 + 1);
    expect(await store.delete('job-1', 1)).toBe(false);
    // As if Redis had expired the job: without a seq there is nothing of it to find.
    await clients[0]!.del(`${prefix}job:job-1`, `${prefix}updates:job-1`);
    expect(await store.delete('job-1')).toBe(false);
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1 });
    // The sweep's delete, with the seq it found, takes the job out of the index and the counts.
    expect(await store.delete('job-1', 2)).toBe(true);
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual(ZERO_COUNTS);
    expect(await store.delete('job-1', 2)).toBe(false);
  });

  it('stops counting a job once Redis expired it, with no sweep, and the sweep index lets it go twice as late', { timeout: 15_000 }, async () => {
    const store = newStore({ staleJobMs: 1_500, finishedJobRetentionMs: 1_000 });
    const probe = clients[0]!;
    await store.append('running-job', { status: 'running' }, Date.now());
    await store.append('done-job', { status: 'running' }, Date.now());
    await store.append('done-job', { status: 'completed' }, Date.now());
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1, completed: 1 });

    await vi.waitFor(async () => expect(await probe.exists(`${prefix}job:running-job`, `${prefix}job:done-job`)).toBe(0), { timeout: 5_000, interval: 100 });
    // Updated later than the others (as if by a clock ahead), so it stays counted while they age.
    await store.append('fresh-job', { status: 'running' }, Date.now() + HOUR);
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1 });
    // The sweep can still find the expired job (and tell its watchers) until twice its age limit.
    expect(await probe.zrange(`${prefix}jobs:active`, 0, -1)).toEqual(['1|running-job', '1|fresh-job']);
    expect(await probe.zcard(`${prefix}jobs:status:running`)).toBe(1);
    await vi.waitFor(
      async () => {
        await store.refreshCounts();
        expect(await probe.zrange(`${prefix}jobs:active`, 0, -1)).toEqual(['1|fresh-job']);
        expect(await probe.zcard(`${prefix}jobs:finished`)).toBe(0);
      },
      { timeout: 5_000, interval: 100 },
    );
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1 });
  });

  it('drops every entry far past its age limit in one refresh, however many, from the counts and the sweep indexes', async () => {
    const store = newStore();
    const probe = clients[0]!;
    const longAgo = Date.now() - 3 * HOUR;
    await Promise.all(Array.from({ length: 1_200 }, (_, index) => store.append(`old-${index}`, { status: index % 2 ? 'running' : 'failed' }, longAgo)));
    await store.append('new-job', { status: 'queued' }, Date.now());
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, queued: 1 });
    expect(await probe.zrange(`${prefix}jobs:active`, 0, -1)).toEqual(['1|new-job']);
    expect(await probe.zcard(`${prefix}jobs:finished`)).toBe(0);
  });

  it('still refuses a late update with finishedJobRetentionMs 0, as the memory store does, until the sweep drops the job', async () => {
    const store = newStore({ finishedJobRetentionMs: 0 });
    const t0 = Date.now();
    await store.append('job-1', { status: 'running' }, t0 + 1);
    await store.append('job-1', { status: 'completed' }, t0 + 2);
    await expect(store.append('job-1', { status: 'running' }, t0 + 3)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect((await store.get('job-1'))?.seq).toBe(2);
    const ttl = await clients[0]!.pttl(`${prefix}job:job-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    expect(await store.findExpired({ now: t0 + 2, staleJobMs: 60_000, finishedJobRetentionMs: 0 })).toEqual([{ jobId: 'job-1', lastSeq: 2, kind: 'finished' }]);
  });

  it.each([
    ['behind', -10],
    ['ahead of', 10],
  ])("judges ages by its own clock, even one far %s Redis' clock: a live job stays counted, then is reported stale", async (_, offsetInStaleJobs) => {
    const staleJobMs = 60_000;
    let clock = Date.now() + offsetInStaleJobs * staleJobMs;
    const store = newStore({ staleJobMs, finishedJobRetentionMs: staleJobMs, now: () => clock });
    const probe = clients[0]!;
    const rule = (): { now: number; staleJobMs: number; finishedJobRetentionMs: number } => ({ now: clock, staleJobMs, finishedJobRetentionMs: staleJobMs });
    await store.append('live-job', { status: 'running' }, clock);
    await store.append('done-job', { status: 'completed' }, clock);

    clock += staleJobMs - 1;
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1, completed: 1 });
    expect(await store.findExpired(rule())).toEqual([]);
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1, completed: 1 });
    expect(await probe.zrange(`${prefix}jobs:active`, 0, -1)).toEqual(['1|live-job']);

    clock += 2;
    expect(await store.findExpired(rule())).toEqual([
      { jobId: 'live-job', lastSeq: 1, kind: 'stale' },
      { jobId: 'done-job', lastSeq: 1, kind: 'finished' },
    ]);
    // Past its age by this clock, a job no longer counts, as if Redis had expired it.
    expect(store.countByStatus()).toEqual(ZERO_COUNTS);
    expect(await store.delete('live-job', 1)).toBe(true);
    expect(await store.delete('done-job', 1)).toBe(true);
    expect(await store.findExpired(rule())).toEqual([]);
  });

  it('still reports the expired jobs when the count read fails, keeps the counts, and rejects the refresh that shares that read', async () => {
    const store = newStore();
    const t0 = Date.now();
    await store.append('stale-job', { status: 'running' }, t0 - 10_000);
    await store.refreshCounts();
    const rule = { now: t0, staleJobMs: 5_000, finishedJobRetentionMs: 5_000 };
    const failure = new Error('count read failed');
    // The count read is the only script findExpired runs.
    const evalsha = vi.spyOn(clients[0]!, 'evalsha').mockRejectedValue(failure);

    expect(await store.findExpired(rule)).toEqual([{ jobId: 'stale-job', lastSeq: 1, kind: 'stale' }]);
    const tick = store.refreshCounts();
    const sweep = store.findExpired(rule);
    await expect(tick).rejects.toBe(failure);
    expect(await sweep).toEqual([{ jobId: 'stale-job', lastSeq: 1, kind: 'stale' }]);
    expect(evalsha).toHaveBeenCalledTimes(2);
    expect(store.countByStatus()).toEqual({ ...ZERO_COUNTS, running: 1 });

    evalsha.mockRestore();
    expect(await store.delete('stale-job', 1)).toBe(true);
    await store.refreshCounts();
    expect(store.countByStatus()).toEqual(ZERO_COUNTS);
  });
});
