import { ErrorCode, JobProtocolError } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import type { JobReplay } from './job-store';
import { MemoryJobStore, synchronousReplay } from './memory-job-store';

describe('MemoryJobStore', () => {
  it('assigns seq 1, 2, 3 and keeps the newest update as the snapshot', async () => {
    const store = new MemoryJobStore();
    await store.append('a', { status: 'queued' }, 1);
    await store.append('a', { status: 'running', progress: 5 }, 2);
    const first = await store.get('a');
    expect(await store.append('a', { status: 'running', progress: 9 }, 3)).toEqual({ jobId: 'a', epoch: first?.epoch, seq: 3, status: 'running', progress: 9, at: 3 });
    expect(await store.get('a')).toMatchObject({ seq: 3 });
    expect(store.size()).toBe(1);
  });

  it('keeps one epoch per history: a new one for a job id used again after delete and in a new store', async () => {
    const store = new MemoryJobStore();
    const first = await store.append('a', { status: 'running' }, 1);
    expect(first.epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect((await store.append('a', { status: 'running' }, 2)).epoch).toBe(first.epoch);
    expect(await store.delete('a')).toBe(true);
    const again = await store.append('a', { status: 'running' }, 3);
    expect(again).toMatchObject({ seq: 1 });
    expect(again.epoch).not.toBe(first.epoch);
    const restarted = await new MemoryJobStore().append('a', { status: 'running' }, 4);
    expect(restarted.epoch).not.toBe(first.epoch);
    expect(restarted.epoch).not.toBe(again.epoch);
  });

  it('refuses an update after a terminal one', async () => {
    const store = new MemoryJobStore();
    await store.append('a', { status: 'failed' }, 1);
    await expect(store.append('a', { status: 'running' }, 2)).rejects.toSatisfy(
      (error) => error instanceof JobProtocolError && error.code === ErrorCode.INVALID_PAYLOAD,
    );
  });

  it('replays from the bounded buffer or asks for a resync', async () => {
    const store = new MemoryJobStore({ bufferSize: 3 });
    for (let at = 1; at <= 5; at += 1) await store.append('a', { status: 'running' }, at);
    expect((await store.replay('a', 2)).updates.map((u) => u.seq)).toEqual([3, 4, 5]);
    expect(await store.replay('a', 1)).toMatchObject({ updates: [], resync: true });
    expect(await store.replay('a', 5)).toMatchObject({ updates: [], resync: false });
    expect(await store.replay('a', 9)).toMatchObject({ resync: true });
    expect(await store.replay('a', undefined)).toMatchObject({ updates: [], resync: false, snapshot: { seq: 5 } });
    expect(await store.replay('missing', undefined)).toEqual({ snapshot: null, updates: [], resync: false });
  });

  it('finds stale and finished jobs and deletes only unchanged ones', async () => {
    const store = new MemoryJobStore();
    await store.append('stale', { status: 'running' }, 0);
    await store.append('done', { status: 'completed' }, 50);
    await store.append('fresh', { status: 'running' }, 90);
    const expired = await store.findExpired({ now: 100, staleJobMs: 100, finishedJobRetentionMs: 50 });
    expect(expired).toEqual([
      { jobId: 'stale', lastSeq: 1, kind: 'stale' },
      { jobId: 'done', lastSeq: 1, kind: 'finished' },
    ]);
    await store.append('stale', { status: 'running' }, 100);
    expect(await store.delete('stale', 1)).toBe(false);
    expect(await store.delete('done', 1)).toBe(true);
    expect(store.size()).toBe(2);
  });

  it('reports at most limit expired jobs of each kind', async () => {
    const store = new MemoryJobStore();
    for (const jobId of ['s1', 's2', 's3']) await store.append(jobId, { status: 'running' }, 0);
    for (const jobId of ['f1', 'f2']) await store.append(jobId, { status: 'failed' }, 0);
    const rule = { now: 100, staleJobMs: 10, finishedJobRetentionMs: 10 };
    expect((await store.findExpired({ ...rule, limit: 2 })).map((job) => job.jobId)).toEqual(['s1', 's2', 'f1', 'f2']);
    expect(await store.findExpired(rule)).toHaveLength(5);
  });

  it('leaves finished jobs to keep out of what it reports and out of limit', async () => {
    const store = new MemoryJobStore();
    for (const jobId of ['kept1', 'kept2', 'f1', 'f2', 'f3']) await store.append(jobId, { status: 'completed' }, 0);
    await store.append('s1', { status: 'running' }, 0);
    const rule = { now: 100, staleJobMs: 10, finishedJobRetentionMs: 10, limit: 2 };
    const kept = new Set(['kept1', 'kept2', 's1']);
    expect((await store.findExpired({ ...rule, keep: (jobId) => kept.has(jobId) })).map((job) => job.jobId)).toEqual(['f1', 'f2', 's1']);
  });
});

describe('synchronousReplay', () => {
  it('answers what replay resolves, for a MemoryJobStore as it ships', async () => {
    const store = new MemoryJobStore({ bufferSize: 2 });
    for (let at = 1; at <= 4; at += 1) await store.append('a', { status: 'running' }, at);
    const replayNow = synchronousReplay(store);
    for (const lastSeq of [undefined, 0, 1, 2, 3, 4, 5]) expect(replayNow?.('a', lastSeq)).toEqual(await store.replay('a', lastSeq));
    expect(replayNow?.('unknown', 3)).toEqual(await store.replay('unknown', 3));
  });

  it('is undefined for a subclass, an instance whose replay was replaced, and any other store', () => {
    class DelayedStore extends MemoryJobStore {
      override async replay(jobId: string, lastSeq: number | undefined): Promise<JobReplay> {
        await Promise.resolve();
        return super.replay(jobId, lastSeq);
      }
    }
    const patched = new MemoryJobStore();
    patched.replay = async () => ({ snapshot: null, updates: [], resync: true });
    const inner = new MemoryJobStore();
    const wrapper = { ...inner, replay: inner.replay.bind(inner), replayNow: inner.replayNow.bind(inner) };
    expect(synchronousReplay(new DelayedStore())).toBeUndefined();
    expect(synchronousReplay(patched)).toBeUndefined();
    expect(synchronousReplay(wrapper as unknown as MemoryJobStore)).toBeUndefined();
  });
});
