import { MAX_JOB_DATA_BYTES, MAX_REPLAY_UPDATES, type JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { createJobPublisher, MemoryJobStore, RedisJobStore, type JobServerOptions } from '../src/index';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from './support/redis-test-env';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

const noRedis = await skipWithoutRedis('update data ownership');

/** The stores `update()` is checked with: the default one, and Redis when it answers. */
const stores: [string, () => { options: JobServerOptions; cleanUp: () => Promise<void> }][] = [
  ['memory', () => ({ options: {}, cleanUp: async () => undefined })],
  ...(noRedis
    ? []
    : [
        [
          'redis',
          () => {
            const keyPrefix = uniqueKeyPrefix();
            return { options: { redis: { url: REDIS_URL, keyPrefix } }, cleanUp: () => removeKeys(keyPrefix) };
          },
        ] as [string, () => { options: JobServerOptions; cleanUp: () => Promise<void> }],
      ]),
];

describe('what update() publishes belongs to the server, not to the caller', () => {
  it.each(stores)('%s store: a caller that reuses its data object before the updates resolve changes none of them', async (_, store) => {
    const { options, cleanUp } = store();
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, ...options });
    try {
      const client = await connectClient(url);
      const live: JobUpdate[] = [];
      client.socket.on('job-update', (update) => live.push(update));
      expect(await subscribe(client, { jobId: 'job' })).toMatchObject({ ok: true });
      // A worker that reuses one state object and does not wait for each update.
      const state = { step: 0, note: '' };
      const calls: Promise<JobUpdate>[] = [];
      for (let step = 1; step <= 3; step += 1) {
        state.step = step;
        calls.push(server.update('job', { status: 'running', data: state }));
      }
      state.note = 'x'.repeat(MAX_JOB_DATA_BYTES + 10);
      const resolved = await Promise.all(calls);
      expect(resolved.map((update) => update.data)).toEqual([1, 2, 3].map((step) => ({ step, note: '' })));
      expect(resolved.some((update) => update.data === state)).toBe(false);
      await expect.poll(() => live.map((update) => update.data)).toEqual([1, 2, 3].map((step) => ({ step, note: '' })));
      expect((await server.getJob('job'))?.data).toEqual({ step: 3, note: '' });
    } finally {
      await cleanUp();
    }
  });

  it('memory store: what update() and getJob() resolve is frozen, so that no reader changes the job for the others', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const done = await server.update('export', { status: 'completed', data: { url: '/files/1.csv', parts: [{ size: 1 }] } });
    const read = (await server.getJob('export'))!;
    for (const update of [done, read]) {
      expect(() => delete (update.data as { url?: string }).url).toThrow(TypeError);
      expect(() => ((update.data as { parts: { size: number }[] }).parts[0]!.size = 2)).toThrow(TypeError);
      expect(() => ((update as { status: string }).status = 'running')).toThrow(TypeError);
    }
    await expect(server.update('export', { status: 'running' })).rejects.toMatchObject({ message: expect.stringContaining('already ended') });
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'export' })).toMatchObject({ ok: true, snapshot: { status: 'completed', data: { url: '/files/1.csv', parts: [{ size: 1 }] } } });
  });
});

describe('job history settings given to a store or a publisher', () => {
  const bad = [0, -1, 1.5, Number.NaN, MAX_REPLAY_UPDATES + 1, '100'];

  it.each(bad)('refuses bufferSize %s with a RangeError that names it, before anything is written', (bufferSize) => {
    expect(() => new MemoryJobStore({ bufferSize: bufferSize as number })).toThrow(/^bufferSize must be a whole number from 1 to 1000/);
    // Checked before the client is even looked at.
    expect(() => new RedisJobStore({ client: {} as never, bufferSize: bufferSize as number })).toThrow(/^bufferSize must be a whole number from 1 to 1000/);
    expect(() => createJobPublisher({ redis: { url: REDIS_URL }, jobs: { bufferSize: bufferSize as number } })).toThrow(/^jobs\.bufferSize must be/);
  });

  it('refuses retention times a Redis script could not use (NaN, fractions, negative), naming them', () => {
    expect(() => new RedisJobStore({ client: {} as never, staleJobMs: Number.NaN })).toThrow(RangeError);
    expect(() => new RedisJobStore({ client: {} as never, finishedJobRetentionMs: 0.5 })).toThrow(/^finishedJobRetentionMs must be a whole number from 0/);
    expect(() => createJobPublisher({ redis: { url: REDIS_URL }, sweep: { staleJobMs: 0 } })).toThrow(/^sweep\.staleJobMs must be a whole number from 1/);
    expect(() => createJobPublisher({ redis: { url: REDIS_URL }, sweep: { finishedJobRetentionMs: -1 } })).toThrow(/^sweep\.finishedJobRetentionMs must be/);
    expect(() => new MemoryJobStore({ bufferSize: MAX_REPLAY_UPDATES })).not.toThrow();
  });

  it('answers a subscriber behind by more updates than a reply may hold with a resync to the snapshot, whatever the store kept', async () => {
    // A store of the application's own, keeping more than a reply may hold.
    class LongMemoryStore extends MemoryJobStore {
      override async replay(jobId: string, lastSeq: number | undefined) {
        const latest = await this.get(jobId);
        const updates = Array.from({ length: latest!.seq }, (_, index) => ({ ...latest!, seq: index + 1 })).filter((update) => update.seq > (lastSeq ?? 0));
        return { snapshot: latest, updates, resync: false };
      }
    }
    const store = new LongMemoryStore();
    // A watermark high enough for 1000 small updates: this is about the count, not the bytes (see slow-consumer.test.ts).
    const outbound = { conflateAboveBytes: 512 * 1024, maxPendingBytes: 1024 * 1024 };
    const { server, url, close } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, store, limits: { outbound } });
    for (let step = 0; step < MAX_REPLAY_UPDATES + 2; step += 1) await server.update('long', { status: 'running' });
    const client = await connectClient(url);
    const latest = await server.getJob('long');
    expect(await subscribe(client, { jobId: 'long', lastSeq: 1 })).toMatchObject({ ok: true, jobId: 'long', snapshot: latest, updates: [], resync: true });
    const within = await subscribe(client, { jobId: 'long', lastSeq: 2 });
    expect(within).toMatchObject({ ok: true, resync: false });
    expect(within.ok && within.updates).toHaveLength(MAX_REPLAY_UPDATES);
    // The application's store is the application's to close.
    await close();
    await store.close();
  });
});
