import { describe, expect, it, vi } from 'vitest';
import { startRedisServer, withRedis } from '../../server/test/support/redis-server-process';
import { skipWithoutRedisServerBinary, uniqueKeyPrefix } from '../../server/test/support/redis-test-env';
import type { JobResync } from '../src/index';
import { openClient, record } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackTeardown } from './support/leak-check';

// A private redis-server, whose keys the test rolls back: the shared one is never touched.
const skip = skipWithoutRedisServerBinary('History rewound by a Redis restored from an older copy');

installLeakCheck();

const JOB = 'nightly-report';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Every key under `prefix` as `DUMP` saw it, to put back later as a store restored from a backup would be. */
async function copyKeys(port: number, prefix: string): Promise<Map<string, Buffer>> {
  return withRedis(port, async (redis) => {
    const copy = new Map<string, Buffer>();
    for (const key of await redis.keys(`${prefix}*`)) {
      const dumped = await redis.dumpBuffer(key);
      if (dumped) copy.set(key, dumped);
    }
    return copy;
  });
}

/** Replaces every key under `prefix` with `copy`. */
async function restoreKeys(port: number, prefix: string, copy: ReadonlyMap<string, Buffer>): Promise<void> {
  await withRedis(port, async (redis) => {
    const now = await redis.keys(`${prefix}*`);
    if (now.length > 0) await redis.del(...now);
    for (const [key, dumped] of copy) await redis.restore(key, 0, dumped, 'REPLACE');
  });
}

describe.skipIf(skip)('a job history rewound in the same epoch (PROTOCOL.md section 5)', () => {
  it('takes the lower snapshot of a resync, signals history-rewound, and delivers the terminal update that follows', async () => {
    const redis = await startRedisServer({ persistence: false });
    trackTeardown(() => redis.destroy());
    const keyPrefix = uniqueKeyPrefix();
    const resource = await startJobServer({ redis: { url: redis.url, keyPrefix }, shutdown: { retryWindowMs: 0 } });
    const { client } = openClient({ url: resource.url, random: () => 0 });
    const watched = record(client, JOB);
    const resyncs: JobResync[] = [];
    watched.handle.on('resync', (resync) => resyncs.push(resync));
    const done = client.waitFor(JOB, { timeoutMs: 5000 });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    for (let i = 0; i < 5; i += 1) await resource.server.update(JOB, { status: 'running', progress: i * 10 });
    const backup = await copyKeys(redis.port, keyPrefix);
    for (let i = 5; i < 10; i += 1) await resource.server.update(JOB, { status: 'running', progress: i * 10 });
    await vi.waitFor(() => expect(watched.seqs).toEqual(range(1, 10)));
    const epoch = watched.handle.snapshot?.epoch;

    // The store comes back from the copy taken at seq 5: same epoch, a lower seq than the client counted to.
    await resource.stop();
    await restoreKeys(redis.port, keyPrefix, backup);
    await resource.start();
    await vi.waitFor(() => expect(resyncs).toEqual([{ reason: 'history-rewound', previousEpoch: epoch, epoch, previousSeq: 10 }]));
    const completed = await resource.server.update(JOB, { status: 'completed', progress: 100 });

    expect(completed).toMatchObject({ epoch, seq: 6 });
    await expect(done).resolves.toEqual(completed);
    await vi.waitFor(() => expect(watched.handle.outcome).toEqual({ kind: 'terminal', update: completed }));
    expect(watched.seqs).toEqual([...range(1, 10), 5, 6]);
    expect(watched.ends).toBe(1);
  });
});
