import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { RedisJobStore } from '../src/index';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, startMonitor } from './support/monitor-resource';
import { closeRedisClient, skipWithoutRedis, skipWithoutRedisCluster, skipWithoutShardedPubSub } from './support/redis-test-env';
import { redisClusterTarget, singleRedisTarget, type RedisTarget } from './support/redis-target';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { connectClient, connectRefused, subscribe, type TestClient } from './support/test-client';

const skipSingle = await skipWithoutRedis('Redis cluster');
const skipSingleSharded = await skipWithoutShardedPubSub('Redis cluster with sharded fan-out on one Redis');
const skipCluster = skipWithoutRedisCluster('Redis cluster on a Redis Cluster');

installLeakCheck();
installMonitorCleanup();

/** Collects the `job-update`s a client receives. */
function received(client: TestClient): JobUpdate[] {
  const updates: JobUpdate[] = [];
  client.socket.on('job-update', (update) => updates.push(update));
  return updates;
}

/**
 * The seqs received, in seq order. Updates from different nodes can arrive out of order (each node emits its own
 * updates locally at once, the others' through Redis); clients put them back in order by seq.
 */
const seqsOf = (updates: JobUpdate[]): number[] => updates.map((update) => update.seq).sort((a, b) => a - b);

/** The multi-node suite, against one Redis deployment (started once for the whole describe). */
function describeOn(deployment: string, skip: boolean, startTarget: () => Promise<RedisTarget>): void {
  describe.skipIf(skip)(`two server nodes sharing ${deployment} (in one process)`, () => {
    const testNodes = installRedisTestNodes(startTarget, { expectNodeKeysGone: true });
    const { startNode } = testNodes;

    it('delivers an update published on either node to subscribers on both', async () => {
      const [a, b] = [await startNode(), await startNode()];
      const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
      const [gotA, gotB] = [received(onA), received(onB)];
      expect(await subscribe(onA, { jobId: 'job-1' })).toMatchObject({ ok: true, snapshot: null });
      expect(await subscribe(onB, { jobId: 'job-1' })).toMatchObject({ ok: true, snapshot: null });

      await a.server.update('job-1', { status: 'running', progress: 10 });
      await b.server.update('job-1', { status: 'completed', progress: 100 });

      await vi.waitFor(() => {
        expect(seqsOf(gotA)).toEqual([1, 2]);
        expect(seqsOf(gotB)).toEqual([1, 2]);
      });
      const completed = gotB.find((update) => update.seq === 2);
      expect(completed).toMatchObject({ jobId: 'job-1', status: 'completed', progress: 100 });
      expect(await a.server.getJob('job-1')).toEqual(completed);
    });

    it('delivers what a worker publishes to subscribers on every node, continuing the same seq and epoch', async () => {
      const [a, b] = [await startNode(), await startNode()];
      const publisher = testNodes.startPublisher();
      const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
      const [gotA, gotB] = [received(onA), received(onB)];
      await subscribe(onA, { jobId: 'export-7' });
      await subscribe(onB, { jobId: 'export-7' });

      expect(await publisher.update('export-7', { status: 'queued' })).toMatchObject({ seq: 1 });
      await a.server.update('export-7', { status: 'running', progress: 50 });
      expect(await publisher.update('export-7', { status: 'completed', data: { rows: 12 } })).toMatchObject({ seq: 3 });

      await vi.waitFor(() => {
        expect(seqsOf(gotA)).toEqual([1, 2, 3]);
        expect(seqsOf(gotB)).toEqual([1, 2, 3]);
      });
      expect(gotA.find((update) => update.seq === 3)).toMatchObject({ status: 'completed', data: { rows: 12 } });
      // One history, one epoch, whoever appends to it.
      expect(new Set([...gotA, ...gotB].map((update) => update.epoch)).size).toBe(1);
      await expect(publisher.update('export-7', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD });
      await expect(publisher.update('bad id!', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD });
      expect(publisher.health()).toEqual({ status: 'ok', reasons: [] });
    });

    it('recovers missed updates with lastSeq from the other node after moving there', async () => {
      const [a, b] = [await startNode(), await startNode()];
      const client = await connectClient(a.url);
      await subscribe(client, { jobId: 'job-1' });
      await a.server.update('job-1', { status: 'running', progress: 1 });
      client.socket.disconnect();
      await b.server.update('job-1', { status: 'running', progress: 2 });
      await a.server.update('job-1', { status: 'running', progress: 3 });

      const moved = await connectClient(b.url);
      const ack = await subscribe(moved, { jobId: 'job-1', lastSeq: 1 });
      expect(ack).toMatchObject({ ok: true, resync: false, snapshot: { seq: 3 } });
      expect(ack.ok && ack.updates.map((update) => update.progress)).toEqual([2, 3]);
    });

    it('caps connections per IP across the cluster and frees the slot when one closes', async () => {
      const [a, b] = [await startNode({ limits: { maxConnectionsPerIp: 3 } }), await startNode({ limits: { maxConnectionsPerIp: 3 } })];
      const first = await connectClient(a.url);
      await connectClient(a.url);
      await connectClient(b.url);
      expect(await connectRefused(b.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
      expect(await connectRefused(a.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });

      first.socket.disconnect();
      await vi.waitFor(() => expect(a.server.stats().connections).toBe(1));
      await vi.waitFor(() => connectClient(b.url), { timeout: 3000, interval: 50 });
      expect(b.server.stats()).toMatchObject({ connections: 2, connectionsByIp: 1 });
    });

    it('tells the watchers on every node that a stale job expired, and every node drops their subscriptions', async () => {
      let clockOffsetMs = 0;
      const [a, b] = [await startNode({ now: () => Date.now() + clockOffsetMs }), await startNode()];
      const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
      const expired: unknown[] = [];
      for (const client of [onA, onB]) client.socket.on('job-expired', (notice) => expired.push(notice));
      await subscribe(onA, { jobId: 'stuck-job' });
      await subscribe(onB, { jobId: 'stuck-job' });
      await a.server.update('stuck-job', { status: 'running', progress: 5 });
      expect(b.server.stats().subscriptions).toBe(1);

      clockOffsetMs = 2 * 60 * 60 * 1000;
      expect(await a.server.maintenance.purgeStaleJobs()).toBe(1);
      await vi.waitFor(() => {
        expect(expired).toEqual([
          { jobId: 'stuck-job', lastSeq: 1, reason: 'stale' },
          { jobId: 'stuck-job', lastSeq: 1, reason: 'stale' },
        ]);
        expect([a.server.stats().subscriptions, b.server.stats().subscriptions]).toEqual([0, 0]);
      });
      expect(await b.server.getJob('stuck-job')).toBeNull();
    });

    it('counts the jobs of the whole cluster by status, so the monitor does not take finished jobs for processing ones', async () => {
      // A short tick: each tick reads the counts from Redis.
      const options = { heartbeat: { intervalMs: 200, timeoutMs: 100 } };
      const [a, b] = [await startNode(options), await startNode(options)];
      const monitor = startMonitor({ server: b.server, alerts: { maxProcessingJobs: 1 } });
      await a.server.update('running-job', { status: 'running', progress: 10 });
      for (const jobId of ['done-1', 'done-2', 'done-3']) {
        await a.server.update(jobId, { status: 'running' });
        await a.server.update(jobId, { status: 'completed' });
      }

      await vi.waitFor(() => expect(b.server.maintenance.jobsByStatus()).toEqual({ queued: 0, running: 1, completed: 3, failed: 0, cancelled: 0 }));
      expect(b.server.stats().jobs).toBe(4);
      expect(monitor.sample()).toMatchObject({ processingJobs: 1, alerts: [] });
      await a.server.update('queued-job', { status: 'queued' });
      await vi.waitFor(() => expect(monitor.sample()).toMatchObject({ processingJobs: 2, alerts: ['processing-jobs'] }));
    });

    it('purges more expired jobs than one batch in one sweep, and the counts drop to zero at the next tick', { timeout: 20_000 }, async () => {
      let clockOffsetMs = 0;
      const sweep = { staleJobMs: 60_000, finishedJobRetentionMs: 60_000 };
      const node = await startNode({ now: () => Date.now() + clockOffsetMs, sweep, heartbeat: { intervalMs: 200, timeoutMs: 100 } });
      const client = testNodes.target.client();
      try {
        const worker = new RedisJobStore({ client, keyPrefix: testNodes.prefix });
        await Promise.all(Array.from({ length: 700 }, (_, index) => worker.append(`stale-${index}`, { status: 'running' }, Date.now())));
        await Promise.all(Array.from({ length: 600 }, (_, index) => worker.append(`done-${index}`, { status: 'completed' }, Date.now())));
        await vi.waitFor(() => expect(node.server.stats().jobs).toBe(1_300));

        // Past both ages by the node's clock, but not past twice them, when the indexes let an entry go unreported.
        clockOffsetMs = 90_000;
        expect(await node.server.maintenance.sweep()).toMatchObject({ purgedJobs: 1_300 });
        await vi.waitFor(() => expect(node.server.maintenance.jobsByStatus()).toEqual({ queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 }));
        expect(node.server.stats().jobs).toBe(0);
        expect(await testNodes.target.listKeys(`${testNodes.prefix}job`)).toEqual([]);
      } finally {
        await closeRedisClient(client);
      }
    });
  });
}

describeOn('one Redis', skipSingle, async () => singleRedisTarget());
describeOn('one Redis 7 with the sharded fan-out', skipSingleSharded, async () => singleRedisTarget('sharded'));
describeOn('a Redis Cluster (3 masters + 3 replicas, sharded fan-out)', skipCluster, redisClusterTarget);
