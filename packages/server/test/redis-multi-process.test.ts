import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobPublisher, type JobPublisher, type JobServerHealth, type JobServerStats } from '../src/index';
import { startChild, stopAllChildren, type ChildResource } from './support/redis-child-process';
import type { NodeProcessConfig } from './support/redis-node-process';
import { skipWithoutRedis, skipWithoutRedisCluster, uniqueKeyPrefix } from './support/redis-test-env';
import { redisClusterTarget, singleRedisTarget, type RedisTarget } from './support/redis-target';
import type { ClientReport, WatchClientsConfig } from './support/redis-watch-clients-process';
import { closeAllClients, connectClient, connectRefused } from './support/test-client';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';

/** Longest a step of the kill -9 test may take before it counts as hung. */
const WAIT_BOUND_MS = 40_000;

const skipSingle = await skipWithoutRedis('Redis multi-process');
const skipCluster = skipWithoutRedisCluster('Redis multi-process on a Redis Cluster');

// In this process: no timer left by publishers, Redis clients or test clients after each test.
installLeakCheck();

/** A server node in its own process. */
interface NodeProcess {
  readonly child: ChildResource;
  readonly url: string;
  update(jobId: string, input: { status: string; progress?: number }): Promise<JobUpdate>;
  stats(): Promise<{ stats: JobServerStats; health: JobServerHealth }>;
  /** Graceful close; resolves the node's stats afterwards. */
  close(): Promise<JobServerStats>;
}

/** The multi-process suite, against one Redis deployment (started once for the whole describe). */
function describeOn(deployment: string, skip: boolean, startTarget: () => Promise<RedisTarget>): void {
  describe.skipIf(skip)(`server nodes in separate processes sharing ${deployment}`, () => {
    let target: RedisTarget;
    let prefix: string;
    let publishers: JobPublisher[];

    const startNode = async (config: Partial<NodeProcessConfig> = {}): Promise<NodeProcess> => {
      const child = await startChild('redis-node-process.ts', { redis: target.connection, keyPrefix: prefix, maxConnectionsPerIp: 1000, nodeTtlMs: 30_000, ...config });
      const { port } = await child.event<{ port: number }>('ready');
      return {
        child,
        url: `http://127.0.0.1:${port}`,
        update: (jobId, input) => child.request('update', { jobId, input }),
        stats: () => child.request('stats'),
        close: async () => (await child.request<{ stats: JobServerStats }>('close')).stats,
      };
    };

    const startWatchers = async (config: WatchClientsConfig): Promise<ChildResource> => {
      const child = await startChild('redis-watch-clients-process.ts', config as unknown as Record<string, unknown>);
      await child.event('started');
      return child;
    };

    const publisher = (): JobPublisher => {
      const created = createJobPublisher({ redis: { ...target.connection, keyPrefix: prefix } });
      publishers.push(created);
      return created;
    };

    const reportOf = (watchers: ChildResource): Promise<ClientReport[]> => watchers.request<ClientReport[]>('report');

    beforeAll(async () => {
      target = await startTarget();
    }, 30_000);

    afterAll(async () => {
      await target?.destroy();
    });

    beforeEach(() => {
      prefix = uniqueKeyPrefix();
      publishers = [];
    });

    afterEach(async () => {
      closeAllClients();
      await Promise.all(publishers.map((created) => created.close()));
      await stopAllChildren();
      await target.removeKeys(prefix);
    });

    it('delivers updates from either node and from a separate worker to watchers on both nodes', { timeout: 30_000 }, async () => {
      const [a, b] = await Promise.all([startNode(), startNode()]);
      const worker = publisher();
      await worker.update('job-1', { status: 'queued' });
      const watchers = await startWatchers({ urlLists: [[a.url], [b.url]], jobs: ['job-1'] });
      await vi.waitFor(async () => expect((await reportOf(watchers)).every((client) => client.jobs['job-1']!.seqs.length === 1)).toBe(true));

      await a.update('job-1', { status: 'running', progress: 30 });
      await worker.update('job-1', { status: 'running', progress: 60 });
      await b.update('job-1', { status: 'completed', progress: 100 });

      await vi.waitFor(async () => {
        for (const client of await reportOf(watchers)) expect(client.jobs['job-1']).toEqual({ seqs: [1, 2, 3, 4], terminals: 1, outcome: 'terminal' });
      });
      await watchers.request('close');
      expect(await a.close()).toEqual(ZERO_STATS);
      expect(await b.close()).toEqual(ZERO_STATS);
    });

    it('keeps seq gap-free while two nodes and two workers publish to one job at the same time', { timeout: 30_000 }, async () => {
      const [a, b] = await Promise.all([startNode(), startNode()]);
      const workers = [publisher(), publisher()];
      await workers[0]!.update('busy-job', { status: 'running', progress: 0 });
      const watchers = await startWatchers({ urlLists: [[a.url], [b.url]], jobs: ['busy-job'] });
      await vi.waitFor(async () => expect((await reportOf(watchers)).every((client) => client.jobs['busy-job']!.seqs.length >= 1)).toBe(true));

      const perPublisher = 50;
      const publish = (send: (progress: number) => Promise<JobUpdate>) =>
        (async () => {
          const seqs: number[] = [];
          for (let index = 0; index < perPublisher; index += 1) seqs.push((await send(index % 100)).seq);
          return seqs;
        })();
      const results = await Promise.all([
        publish((progress) => a.update('busy-job', { status: 'running', progress })),
        publish((progress) => b.update('busy-job', { status: 'running', progress })),
        publish((progress) => workers[0]!.update('busy-job', { status: 'running', progress })),
        publish((progress) => workers[1]!.update('busy-job', { status: 'running', progress })),
      ]);
      const last = await workers[1]!.update('busy-job', { status: 'completed' });
      const all = [...results.flat(), last.seq].sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: 4 * perPublisher + 1 }, (_, index) => index + 2));

      await vi.waitFor(
        async () => {
          for (const client of await reportOf(watchers)) {
            const watched = client.jobs['busy-job']!;
            expect(watched.terminals).toBe(1);
            // The application sees every seq once and in order, ending at the terminal one, whatever order the nodes emitted in.
            expect(watched.seqs).toEqual(Array.from({ length: last.seq }, (_, index) => index + 1));
          }
        },
        { timeout: 10_000, interval: 100 },
      );
      await watchers.request('close');
      expect(await a.close()).toEqual(ZERO_STATS);
      expect(await b.close()).toEqual(ZERO_STATS);
    });

    it('stops counting the connections of a killed node once its TTL ran out', { timeout: 30_000 }, async () => {
      const config = { maxConnectionsPerIp: 3, nodeTtlMs: 1000 };
      const [a, b] = await Promise.all([startNode(config), startNode(config)]);
      await Promise.all([connectClient(a.url), connectClient(a.url), connectClient(a.url)]);
      expect(await connectRefused(b.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });

      // Only the node holding connections has a counts hash in Redis.
      const countsBefore = await target.listKeys(`${prefix}node-connections:`);
      expect(countsBefore).toHaveLength(1);
      a.child.process.kill('SIGKILL');
      await a.child.exited;
      // The dead node's counts still hold the slots right after the crash ...
      expect(await connectRefused(b.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
      // ... and stop counting after its TTL (at least 3 of its 300 ms ticks, so 1000 ms here): b accepts only once Redis expired them.
      await vi.waitFor(() => connectClient(b.url), { timeout: 5000, interval: 100 });
      expect(await target.listKeys(`${prefix}node-connections:`)).not.toContain(countsBefore[0]);
      await connectClient(b.url);
      await connectClient(b.url);
      expect(await connectRefused(b.url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
      expect((await b.stats()).stats).toMatchObject({ connections: 3, connectionsByIp: 1 });
      expect(await b.close()).toEqual(ZERO_STATS);
    });

    it('moves 200 watching clients to the other node after kill -9, and each gets every terminal status exactly once', { timeout: 180_000 }, async () => {
      // Waits are bounded against a hang, not for speed: 200 clients on 2 cores under a loaded CI run take their time.
      // The dead node's 100 connections keep counting until its TTL runs out, so some clients are refused at first and retry.
      const config = { maxConnectionsPerIp: 250, nodeTtlMs: 1500 };
      const [a, b] = await Promise.all([startNode(config), startNode(config)]);
      const worker = publisher();
      const jobs = Array.from({ length: 10 }, (_, index) => `render-${index}`);
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 0 })));

      const watchers = await Promise.all([
        startWatchers({ urlLists: Array.from({ length: 100 }, () => [a.url, b.url]), jobs }),
        startWatchers({ urlLists: Array.from({ length: 100 }, () => [b.url, a.url]), jobs }),
      ]);
      const reports = async (): Promise<ClientReport[]> => (await Promise.all(watchers.map(reportOf))).flat();
      await vi.waitFor(async () => expect((await reports()).every((client) => jobs.every((jobId) => client.jobs[jobId]!.seqs.length >= 1))).toBe(true), {
        timeout: WAIT_BOUND_MS,
        interval: 200,
      });
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 10 })));
      await vi.waitFor(async () => expect((await reports()).every((client) => jobs.every((jobId) => client.jobs[jobId]!.seqs.length === 2))).toBe(true), {
        timeout: WAIT_BOUND_MS,
        interval: 200,
      });

      // Frozen first, so that its clients certainly miss seqs 3 and 4: only a resubscription with lastSeq 2 can bring both
      // (the snapshot alone would skip seq 3).
      a.child.process.kill('SIGSTOP');
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 15 })));
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 20 })));
      a.child.process.kill('SIGKILL');
      // Progress keeps flowing while the clients of the dead node reconnect.
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 25 })));
      await vi.waitFor(async () => expect((await b.stats()).stats.connections).toBe(200), { timeout: WAIT_BOUND_MS, interval: 200 });
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'running', progress: 30 })));
      await Promise.all(jobs.map((jobId) => worker.update(jobId, { status: 'completed', progress: 100 })));

      await vi.waitFor(
        async () => {
          for (const client of await reports()) for (const jobId of jobs) expect(client.jobs[jobId]!.outcome).toBe('terminal');
        },
        { timeout: WAIT_BOUND_MS, interval: 200 },
      );
      const final = await reports();
      for (const client of final) {
        expect(client.connectedTo.at(-1)).toBe(b.url);
        for (const jobId of jobs) {
          const watched = client.jobs[jobId]!;
          expect(watched.terminals).toBe(1);
          expect(watched.seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
        }
      }
      const moved = final.slice(0, 100);
      expect(moved.every((client) => client.connectedTo[0] === a.url && client.connectedTo.length >= 2)).toBe(true);

      await Promise.all(watchers.map((child) => child.request('close')));
      expect(await b.close()).toEqual(ZERO_STATS);
    });
  });
}

describeOn('one Redis', skipSingle, async () => singleRedisTarget());
describeOn('a Redis Cluster (3 masters + 3 replicas, sharded fan-out)', skipCluster, redisClusterTarget);
