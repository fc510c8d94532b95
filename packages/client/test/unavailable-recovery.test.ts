import type { JobUpdate } from '@org/ws-protocol';
import { createJobPublisher, REDIS_UNAVAILABLE, type JobPublisher } from '@org/ws-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type RedisServerResource } from '../../server/test/support/redis-server-process';
import { skipWithoutRedisServerBinary, uniqueKeyPrefix } from '../../server/test/support/redis-test-env';
import { JOB_CLIENT_DEFAULTS } from '../src/index';
import { isConnected, openClient, type RecordedClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackClosable } from './support/leak-check';

// Needs redis-server on PATH rather than the shared Redis: this suite stops and restarts its own.
const skip = skipWithoutRedisServerBinary('Recovery after UNAVAILABLE');

installLeakCheck();

const CLIENTS = 10;
/** Jobs below this one completed before the outage (Redis keeps them); the others complete once it is back. */
const FINISHED_BEFORE = 5;
const REFUSALS = 4;

const jobId = (index: number): string => `import-${index}`;

/** One client's `waitFor()` of its job. */
interface Wait {
  readonly recorded: RecordedClient;
  /** What it settled with, and when. */
  outcome?: { terminal: JobUpdate } | { error: unknown };
  deliveredAt?: number;
}

describe.skipIf(skip)('recovery after UNAVAILABLE: clients come back at the server’s pace', () => {
  let redis: RedisServerResource;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.destroy();
  });

  it('delivers every terminal within 3 s of Redis answering again, after each subscribe was refused several times', { timeout: 20_000 }, async () => {
    const keyPrefix = uniqueKeyPrefix();
    const nodeOptions = { redis: { url: redis.url, keyPrefix } };
    const nodes = [await startJobServer(nodeOptions), await startJobServer(nodeOptions)];
    const publisher: JobPublisher = createJobPublisher({ redis: { url: redis.url, keyPrefix } });
    trackClosable(() => publisher.close());
    for (let job = 0; job < CLIENTS; job += 1) {
      await publisher.update(jobId(job), { status: 'running', progress: 40 });
      if (job < FINISHED_BEFORE) await publisher.update(jobId(job), { status: 'completed', progress: 100 });
    }
    // The client's real backoff: without the server's pace it would have grown to seconds by the third refusal.
    const waits: Wait[] = Array.from({ length: CLIENTS }, (_, c) => ({
      recorded: openClient({ url: nodes[c % 2]!.url, reconnect: { ...JOB_CLIENT_DEFAULTS.reconnect } }),
    }));
    for (const { recorded } of waits) await recorded.until(isConnected);

    await redis.stop();
    await vi.waitFor(() => {
      for (const { server } of nodes) expect(server.health().reasons).toContain(REDIS_UNAVAILABLE);
    });
    waits.forEach((wait, job) => {
      wait.recorded.client.waitFor(jobId(job)).then(
        (terminal) => {
          wait.outcome = { terminal };
          wait.deliveredAt = Date.now();
        },
        (error: unknown) => {
          wait.outcome = { error };
        },
      );
    });
    const refusals = (recorded: RecordedClient) => recorded.errors.filter((error) => error.code === 'UNAVAILABLE');
    await vi.waitFor(
      () => {
        for (const { recorded } of waits) expect(refusals(recorded).length).toBeGreaterThanOrEqual(REFUSALS);
      },
      { timeout: 10_000, interval: 50 },
    );
    for (const { recorded } of waits) expect(new Set(refusals(recorded).map((error) => error.retryAfterMs))).toEqual(new Set([1000]));

    await redis.start();
    const answeringAt = Date.now();
    await vi.waitFor(() => expect(publisher.health().status).toBe('ok'), { timeout: 5000 });
    for (let job = FINISHED_BEFORE; job < CLIENTS; job += 1) await publisher.update(jobId(job), { status: 'completed', progress: 100 });
    await vi.waitFor(() => expect(waits.filter((wait) => wait.outcome === undefined).length).toBe(0), { timeout: 10_000, interval: 20 });

    waits.forEach((wait, job) => expect(wait.outcome).toEqual({ terminal: expect.objectContaining({ jobId: jobId(job), seq: 2, status: 'completed' }) }));
    // A behaviour bound, not a benchmark: a short outage must not leave clients waiting out a grown backoff.
    const slowest = Math.max(...waits.map((wait) => wait.deliveredAt! - answeringAt));
    expect(slowest).toBeLessThan(3000);
  });
});
