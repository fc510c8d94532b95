import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobPublisher } from '../src/index';
import { updateUntilAccepted as acceptedUpdate, watchJobs, type Watcher } from './support/failover-watchers';
import { installLeakCheck } from './support/leak-check';
import { redisClusterTarget } from './support/redis-target';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { skipWithoutRedisCluster } from './support/redis-test-env';

const skip = skipWithoutRedisCluster('Redis Cluster failover with persistence');

/** Longest a step may take before it counts as hung (bounds a hang, not the speed of a loaded machine). */
const WAIT_BOUND_MS = 40_000;

installLeakCheck();

const watch = (urls: string[], jobs: string[]): Watcher => watchJobs(urls, jobs, 3 * WAIT_BOUND_MS);
const updateUntilAccepted = (publisher: JobPublisher, jobId: string, input: Parameters<JobPublisher['update']>[1]): Promise<JobUpdate> =>
  acceptedUpdate(publisher, jobId, input, WAIT_BOUND_MS);

describe.skipIf(skip)('a Redis Cluster with persistence (AOF, fsync always): kill -9 of a master after its writes reached the replica', () => {
  const testNodes = installRedisTestNodes(() => redisClusterTarget({ persistence: true }));
  const { startNode } = testNodes;
  let watchers: Watcher[];

  const startWatchers = (count: number, urls: string[], jobs: string[]): Watcher[] => {
    const started = Array.from({ length: count }, (_, index) => watch(index % 2 === 0 ? urls : [...urls].reverse(), jobs));
    watchers.push(...started);
    return started;
  };

  beforeEach(() => {
    watchers = [];
  });

  // Registered after the nodes' hooks, so it runs before them: the watchers go first.
  afterEach(async () => {
    await Promise.all(watchers.map(({ client }) => client.close()));
  });

  it(
    'loses no terminal and delivers none twice: every waitFor, before and after the replica took over, settles with its job’s terminal',
    { timeout: 180_000 },
    async () => {
      const options = { limits: { maxConnectionsPerIp: 1000 } };
      const [a, b] = [await startNode(options), await startNode(options)];
      const publisher = testNodes.startPublisher();
      const jobs = Array.from({ length: 12 }, (_, index) => `persisted-${index}`);
      for (const jobId of jobs) await publisher.update(jobId, { status: 'running', progress: 0 });

      // Each job's store keys live in one slot: group the jobs by the master holding them, kill the master with the
      // most, and finish half of every group before the crash, the other half after it.
      const keys = await testNodes.target.listKeys(testNodes.prefix);
      const storeKeyOf = (jobId: string): string => keys.find((key) => key.startsWith(`${testNodes.prefix}job:`) && key.endsWith(`}:${jobId}`))!;
      const byMaster = new Map<number, string[]>();
      for (const jobId of jobs) {
        const { port } = await testNodes.target.cluster.masterOf(storeKeyOf(jobId));
        byMaster.set(port, [...(byMaster.get(port) ?? []), jobId]);
      }
      const [victimPort, victimJobs] = [...byMaster].sort(([, x], [, y]) => y.length - x.length)[0]!;
      expect(victimJobs.length).toBeGreaterThanOrEqual(2);
      const finishedBefore = [...byMaster.values()].flatMap((group) => group.filter((_, index) => index % 2 === 0));
      const finishedAfter = jobs.filter((jobId) => !finishedBefore.includes(jobId));

      const early = startWatchers(10, [a.url, b.url], jobs);
      await vi.waitFor(() => expect(early.every((watcher) => jobs.every((jobId) => watcher.latest.get(jobId) === 1))).toBe(true), {
        timeout: WAIT_BOUND_MS,
        interval: 50,
      });
      const expected = new Map<string, JobUpdate>();
      for (const jobId of finishedBefore) expected.set(jobId, await publisher.update(jobId, { status: 'completed', data: { result: jobId } }));
      // A terminal lost in the air is only recovered with a later update, and a finished job has none: the test
      // crashes the master once these terminals were delivered and replicated (Redis replication is asynchronous).
      await vi.waitFor(() => expect(early.every((watcher) => finishedBefore.every((jobId) => watcher.terminals.get(jobId)!.length === 1))).toBe(true), {
        timeout: WAIT_BOUND_MS,
        interval: 50,
      });
      await testNodes.target.cluster.waitUntilReplicated();

      const victim = testNodes.target.cluster.members.find(({ port }) => port === victimPort)!;
      await testNodes.target.cluster.kill(victim);
      // Progress of the unfinished jobs goes on through the failover (refused with UNAVAILABLE until the promotion).
      for (const jobId of finishedAfter) await updateUntilAccepted(publisher, jobId, { status: 'running', progress: 50 });
      await testNodes.target.cluster.waitUntilHealthy(storeKeyOf(victimJobs[0]!));
      expect((await testNodes.target.cluster.masterOf(storeKeyOf(victimJobs[0]!))).port).not.toBe(victimPort);
      // The crashed master comes back from its AOF and rejoins as a replica of the promoted one.
      await testNodes.target.cluster.restart(victim);

      // The store on the promoted replica still holds every terminal: the finished jobs refuse another update
      // (a lost one would start a new history instead).
      for (const jobId of finishedBefore) {
        await expect(publisher.update(jobId, { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD });
      }
      const late = startWatchers(10, [b.url, a.url], jobs);

      // The nodes resubscribe on the promoted master by themselves; an update published before they did is lost in the
      // air, so progress goes on until every watcher has it (each round gives it a second), then the terminals.
      const reachedAll = (updates: JobUpdate[]): boolean =>
        [...early, ...late].every((watcher) => updates.every((update) => (watcher.latest.get(update.jobId) ?? 0) >= update.seq));
      let recovered = false;
      for (let round = 0; round < 20 && !recovered; round += 1) {
        const updates = await Promise.all(finishedAfter.map((jobId) => updateUntilAccepted(publisher, jobId, { status: 'running', progress: 60 + round })));
        recovered = await vi.waitFor(() => expect(reachedAll(updates)).toBe(true), { timeout: 1000, interval: 20 }).then(
          () => true,
          () => false,
        );
      }
      expect(recovered).toBe(true);
      for (const jobId of finishedAfter) expected.set(jobId, await updateUntilAccepted(publisher, jobId, { status: 'completed', data: { result: jobId } }));

      for (const watcher of [...early, ...late]) {
        for (const jobId of jobs) {
          await expect(watcher.settled.get(jobId)).resolves.toEqual(expected.get(jobId));
          expect(watcher.terminals.get(jobId)).toEqual([expected.get(jobId)]);
        }
      }
      expect([a, b].map((node) => node.server.health().status)).toEqual(['ok', 'ok']);
    },
  );
});
