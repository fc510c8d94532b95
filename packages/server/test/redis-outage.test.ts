import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobPublisher, REDIS_UNAVAILABLE, type JobPublisher } from '../src/index';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startRedisServer, type RedisServerResource } from './support/redis-server-process';
import { Redis } from 'ioredis';
import { closeRedisClient, skipWithoutRedisServerBinary, uniqueKeyPrefix } from './support/redis-test-env';
import { connectClient, connectRefused, subscribe, type TestClient } from './support/test-client';

// Needs redis-server on PATH rather than the shared Redis: this suite stops and restarts its own.
const skip = skipWithoutRedisServerBinary('Redis outage');

installLeakCheck();

function received(client: TestClient): JobUpdate[] {
  const updates: JobUpdate[] = [];
  client.socket.on('job-update', (update) => updates.push(update));
  return updates;
}

describe.skipIf(skip)('Redis restarted while two nodes serve clients', () => {
  let redis: RedisServerResource;
  let nodes: JobServerResource[];
  let publisher: JobPublisher | undefined;

  beforeEach(async () => {
    redis = await startRedisServer();
    nodes = [];
  });

  afterEach(async () => {
    await publisher?.close();
    await Promise.all(nodes.map((node) => node.close()));
    await redis.destroy();
  });

  it('keeps local connections, reports degraded health and typed errors, and recovers by itself', { timeout: 30_000 }, async () => {
    const keyPrefix = uniqueKeyPrefix();
    const options = { heartbeat: { intervalMs: 1000, timeoutMs: 200 }, redis: { url: redis.url, keyPrefix } };
    nodes.push(await startJobServer(options), await startJobServer(options));
    const [a, b] = nodes as [JobServerResource, JobServerResource];
    publisher = createJobPublisher({ redis: { url: redis.url, keyPrefix } });
    const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
    const [gotA, gotB] = [received(onA), received(onB)];
    await subscribe(onA, { jobId: 'job-1' });
    await subscribe(onB, { jobId: 'job-1' });
    await a.server.update('job-1', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect([gotA.length, gotB.length]).toEqual([1, 1]));

    await redis.stop();
    await vi.waitFor(() => {
      for (const { server } of nodes) expect(server.health()).toMatchObject({ status: 'degraded', reasons: expect.arrayContaining([REDIS_UNAVAILABLE]) });
    });
    expect(publisher.health()).toEqual({ status: 'degraded', reasons: [REDIS_UNAVAILABLE] });

    // What needs Redis answers a typed UNAVAILABLE that says when to try again; nothing throws anything else, nothing crashes.
    const unavailable = { code: ErrorCode.UNAVAILABLE, retryAfterMs: 1000 };
    await expect(a.server.update('job-1', { status: 'running', progress: 20 })).rejects.toMatchObject(unavailable);
    await expect(b.server.getJob('job-1')).rejects.toMatchObject(unavailable);
    await expect(publisher.update('job-1', { status: 'running', progress: 20 })).rejects.toMatchObject(unavailable);
    // Connections stay, and new ones are admitted against this node's own count.
    const late = await connectClient(b.url);
    expect(await subscribe(late, { jobId: 'job-1' })).toMatchObject({ ok: false, error: unavailable });
    expect([onA.socket.connected, onB.socket.connected]).toEqual([true, true]);
    expect(a.server.stats().connections + b.server.stats().connections).toBe(3);

    await redis.start();
    await vi.waitFor(
      () => {
        for (const { server } of nodes) expect(server.health().reasons).toEqual([]);
        expect(publisher!.health().status).toBe('ok');
      },
      { timeout: 10_000, interval: 50 },
    );
    // Each node caught its rooms up from the store: nothing was written during the outage, so nothing is sent again
    // (redis-fanout-catch-up.test.ts covers an update missed meanwhile).
    // The job survived the restart (append-only file); fan-out between the nodes works again.
    const lateGot = received(late);
    expect(await subscribe(late, { jobId: 'job-1', lastSeq: 0 })).toMatchObject({ ok: true, snapshot: { seq: 1 } });
    await vi.waitFor(async () => expect(await publisher!.update('job-1', { status: 'running', progress: 50 })).toMatchObject({ seq: 2 }));
    await b.server.update('job-1', { status: 'completed' });
    await vi.waitFor(() => {
      for (const got of [gotA, gotB, lateGot]) expect(got.map((update) => update.seq).filter((seq) => seq > 1).sort()).toEqual([2, 3]);
    });
    for (const got of [gotA, gotB]) expect(got.filter((update) => update.seq === 1)).toHaveLength(1);
  });

  it('rewrites its per-IP counts once Redis is back, so the cluster-wide cap counts the connections of the outage right', { timeout: 30_000 }, async () => {
    const keyPrefix = uniqueKeyPrefix();
    const options = { heartbeat: { intervalMs: 1000, timeoutMs: 200 }, limits: { maxConnectionsPerIp: 4 }, redis: { url: redis.url, keyPrefix } };
    nodes.push(await startJobServer(options), await startJobServer(options));
    const [a, b] = nodes as [JobServerResource, JobServerResource];
    const leaving = await connectClient(a.url);
    await connectClient(b.url);

    await redis.stop();
    await vi.waitFor(() => {
      for (const { server } of nodes) expect(server.health().reasons).toContain(REDIS_UNAVAILABLE);
    });
    // One connection goes and two come while Redis cannot hear of it: Redis still says a: 1, b: 1.
    leaving.socket.disconnect();
    await vi.waitFor(() => expect(a.server.stats().connections).toBe(0));
    await connectClient(b.url);
    await connectClient(b.url);

    await redis.start();
    const probe = new Redis(redis.url);
    try {
      await vi.waitFor(
        async () => {
          let total = 0;
          for (const key of await probe.keys(`${keyPrefix}node-connections:*`)) for (const count of await probe.hvals(key)) total += Number(count);
          expect(total).toBe(3);
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await closeRedisClient(probe);
    }
    for (const { server } of nodes) expect(server.health().reasons).toEqual([]);
    await connectClient(a.url);
    expect(await connectRefused(a.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    expect(await connectRefused(b.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    expect([a.server.stats().connections, b.server.stats().connections]).toEqual([1, 3]);
  });
});
