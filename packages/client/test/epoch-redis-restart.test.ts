import type { JobUpdate } from '@org/ws-protocol';
import { createJobPublisher, type JobPublisher } from '@org/ws-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServerResource } from '../../server/test/support/redis-server-process';
import { skipWithoutRedisServerBinary, uniqueKeyPrefix } from '../../server/test/support/redis-test-env';
import type { JobClientError } from '../src/index';
import { openClient } from './support/job-client-resource';
import { recordHistory, stitchedUpdates, type RecordedHistory } from './support/job-history';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackClosable } from './support/leak-check';
import { startPausableProxy } from './support/pausable-proxy';

// Needs redis-server on PATH rather than the shared Redis: this suite restarts its own, empty.
const skip = skipWithoutRedisServerBinary('Epochs across a Redis restart');

installLeakCheck();

const JOBS = 30;
/** Jobs `0 … RERUNS-1` run again after Redis lost them; the others never come back. */
const RERUNS = 20;
const CLIENTS = 20;
const JOBS_PER_CLIENT = 6;
const OLD_RUN_UPDATES = 3;

const jobId = (index: number): string => `export-${index}`;
/** Client `c` watches six consecutive jobs, so that every job has four watchers spread over both nodes. */
const jobsOf = (client: number): number[] => Array.from({ length: JOBS_PER_CLIENT }, (_, i) => (client * JOBS_PER_CLIENT + i) % JOBS);

/** One client's watch of one job: what its listener saw, and how its `waitFor()` settled. */
interface Watch {
  readonly job: number;
  readonly history: RecordedHistory;
  /** How `waitFor()` settled, once it has. */
  outcome?: { update: JobUpdate } | { error: JobClientError };
}

describe.skipIf(skip)('epochs: Redis restarted empty under two nodes and many waiting clients', () => {
  let redis: RedisServerResource;

  beforeAll(async () => {
    redis = await startRedisServer({ persistence: false });
  });

  afterAll(async () => {
    await redis.destroy();
  });

  it('settles every pending waitFor: reruns after a resync signal with their terminal, the others JOB_EXPIRED gone; nothing stitched', { timeout: 20_000 }, async () => {
    const keyPrefix = uniqueKeyPrefix();
    // The nodes reach Redis through a link the test cuts, so that they see it back only once the reruns began.
    const link = await startPausableProxy(Number(new URL(redis.url).port));
    const nodeOptions = { redis: { url: `redis://127.0.0.1:${link.port}`, keyPrefix } };
    const nodes = [await startJobServer(nodeOptions), await startJobServer(nodeOptions)];
    const publisher: JobPublisher = createJobPublisher({ redis: { url: redis.url, keyPrefix } });
    trackClosable(() => publisher.close());

    const watches: Watch[] = [];
    for (let c = 0; c < CLIENTS; c += 1) {
      const { client } = openClient({ url: nodes[c % 2]!.url });
      for (const job of jobsOf(c)) {
        const watch: Watch = { job, history: recordHistory(client, jobId(job)) };
        client.waitFor(jobId(job)).then(
          (update) => {
            watch.outcome = { update };
          },
          (error: JobClientError) => {
            watch.outcome = { error };
          },
        );
        watches.push(watch);
      }
    }
    await vi.waitFor(() => expect(nodes.reduce((sum, node) => sum + node.server.stats().subscriptions, 0)).toBe(CLIENTS * JOBS_PER_CLIENT), { timeout: 5000 });
    const oldEpochs = new Map<number, string>();
    for (let job = 0; job < JOBS; job += 1) {
      for (let i = 0; i < OLD_RUN_UPDATES; i += 1) oldEpochs.set(job, (await publisher.update(jobId(job), { status: 'running', progress: 10 * (i + 1) })).epoch);
    }
    await vi.waitFor(() => expect(watches.filter((w) => w.history.updates.length < OLD_RUN_UPDATES)).toEqual([]), { timeout: 5000 });

    link.cut();
    await redis.stop();
    await redis.start();
    // The worker sees the empty Redis first and runs some jobs again from seq 1: even ones past the seq their
    // watchers hold (what `seq` alone would stitch), odd ones below it.
    await vi.waitFor(() => expect(publisher.health().status).toBe('ok'), { timeout: 5000 });
    const newEpochs = new Map<number, string>();
    for (let job = 0; job < RERUNS; job += 1) {
      const updates = job % 2 === 0 ? OLD_RUN_UPDATES + 1 : 1;
      for (let i = 0; i < updates; i += 1) newEpochs.set(job, (await publisher.update(jobId(job), { status: 'running', progress: 5 })).epoch);
    }
    const reopenedAt = Date.now();
    link.reconnect();

    // Watchers of a rerun follow it (after the signal); terminals go out once every one of them took the new run.
    const reruns = watches.filter((w) => w.job < RERUNS);
    await vi.waitFor(() => expect(reruns.filter((w) => w.history.handle.snapshot?.epoch !== newEpochs.get(w.job))).toEqual([]), { timeout: 5000 });
    const terminals = new Map<number, JobUpdate>();
    for (let job = 0; job < RERUNS; job += 1) terminals.set(job, await publisher.update(jobId(job), { status: 'completed', progress: 100 }));
    await vi.waitFor(() => expect(watches.filter((w) => !w.outcome).map((w) => jobId(w.job))).toEqual([]), { timeout: 5000 });
    const settledAfterMs = Date.now() - reopenedAt;

    for (const watch of watches) {
      const { outcome } = watch;
      const { events } = watch.history;
      expect(stitchedUpdates(events)).toEqual([]);
      const resyncs = events.filter((event) => event.kind === 'resync');
      if (watch.job < RERUNS) {
        expect(outcome).toEqual({ update: terminals.get(watch.job) });
        expect(resyncs).toEqual([
          { kind: 'resync', reason: 'epoch-changed', previousEpoch: oldEpochs.get(watch.job), epoch: newEpochs.get(watch.job), previousSeq: OLD_RUN_UPDATES },
        ]);
        expect(watch.history.updates.at(-1)).toBe(`${newEpochs.get(watch.job)}:${terminals.get(watch.job)!.seq}`);
      } else {
        expect(outcome).toMatchObject({ error: { code: 'JOB_EXPIRED', expired: { kind: 'expired', reason: 'gone', lastSeq: OLD_RUN_UPDATES } } });
        expect(resyncs).toEqual([]);
        expect(watch.history.updates).toEqual([1, 2, 3].map((seq) => `${oldEpochs.get(watch.job)}:${seq}`));
      }
    }
    // A behaviour bound, not a benchmark: once the nodes see Redis again, nothing waits long for a history that is gone.
    expect(settledAfterMs).toBeLessThan(5000);
  });
});
