import type { JobUpdate } from '@org/ws-protocol';
import type { Cluster } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisJobStore, type JobServer, type JobServerLogger } from '../src/index';
import { seenByAll, updateUntilAccepted, watchJobs, type Watcher } from './support/failover-watchers';
import { installLeakCheck } from './support/leak-check';
import { recordingLogger } from './support/recording-logger';
import type { RedisClusterMember } from './support/redis-cluster-process';
import { redisClusterTarget } from './support/redis-target';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { closeRedisClient, skipWithoutRedisCluster } from './support/redis-test-env';

const skip = skipWithoutRedisCluster('catch-up after a fan-out gap on a Redis Cluster');

/** Longest a step may take before it counts as hung (bounds a hang, not the speed of a loaded machine). */
const WAIT_BOUND_MS = 40_000;

installLeakCheck();

/** The channels a node's sharded subscriber lists more than once (ioredis keeps the list per slot, private in its types). */
function repeatedShardedChannels(server: JobServer): string[] {
  const subscriber = (server.io.of('/').adapter as unknown as { subClient: { shardedSubscribers: { channels: Map<number, string[]> } } }).subClient;
  const listed = [...subscriber.shardedSubscribers.channels.values()].flat();
  return [...new Set(listed.filter((channel, index) => listed.indexOf(channel) !== index))];
}

describe.skipIf(skip)('catch-up after a fan-out gap on a Redis Cluster: a node’s subscriptions of job channels were away', () => {
  const testNodes = installRedisTestNodes(redisClusterTarget, { nodeDefaults: { limits: { maxConnectionsPerIp: 1000 } } });
  const { startNode } = testNodes;
  let watchers: Watcher[];
  let probes: Cluster[];

  const startWatchers = (count: number, urls: string[], jobs: string[]): Watcher[] => {
    const started = Array.from({ length: count }, (_, index) => watchJobs(index % 2 === 0 ? urls : [...urls].reverse(), jobs, 3 * WAIT_BOUND_MS));
    watchers.push(...started);
    return started;
  };
  /** The sharded channel of a job's room (the adapter's `<prefix>socket.io#/#<room>#`): its slot decides its master. */
  const channelOf = (jobId: string): string => `${testNodes.prefix}socket.io#/#job:${jobId}#`;
  /** The master holding the most of these jobs' channels, and those jobs. */
  const busiestChannelMaster = async (jobs: string[]): Promise<[RedisClusterMember, string[]]> => {
    const byMaster = new Map<number, string[]>();
    for (const jobId of jobs) {
      const { port } = await testNodes.target.cluster.masterOf(channelOf(jobId));
      byMaster.set(port, [...(byMaster.get(port) ?? []), jobId]);
    }
    const [port, onIt] = [...byMaster].sort(([, x], [, y]) => y.length - x.length)[0]!;
    return [testNodes.target.cluster.members.find((member) => member.port === port)!, onIt];
  };
  /** Two nodes and a publisher (`extra` laid over their options), these jobs running, and `count` watchers of them on both nodes that all saw that. */
  const watchRunningJobs = async (jobs: string[], count: number, extra: { redis?: object; logger?: JobServerLogger } = {}) => {
    const nodeOptions = { ...extra, redis: testNodes.redisOptions(extra.redis) };
    const [a, b] = [await startNode(nodeOptions), await startNode(nodeOptions)];
    const publisher = testNodes.startPublisher(extra);
    for (const jobId of jobs) await publisher.update(jobId, { status: 'running', progress: 0 });
    const group = startWatchers(count, [a.url, b.url], jobs);
    await vi.waitFor(() => expect(seenByAll(group, jobs, 1)).toBe(true), { timeout: WAIT_BOUND_MS, interval: 50 });
    return { a, b, publisher, group };
  };
  /** Each job's terminal put into the store without a publish (what the nodes miss), through a client of the cluster closed after the test; that client and the terminals by job. */
  const storeTerminalsUnpublished = async (jobs: string[]): Promise<{ client: Cluster; expected: Map<string, JobUpdate> }> => {
    const client = testNodes.target.client() as Cluster;
    probes.push(client);
    const store = new RedisJobStore({ client, keyPrefix: testNodes.prefix });
    const expected = new Map<string, JobUpdate>();
    for (const jobId of jobs) expected.set(jobId, await store.append(jobId, { status: 'completed', data: { result: jobId } }, Date.now()));
    return { client, expected };
  };
  const expectEachTerminalOnce = async (group: Watcher[], expected: Map<string, JobUpdate>): Promise<void> => {
    for (const watcher of group) {
      for (const [jobId, terminal] of expected) {
        await expect(watcher.settled.get(jobId)).resolves.toEqual(terminal);
        expect(watcher.terminals.get(jobId)).toEqual([terminal]);
      }
    }
  };

  beforeEach(() => {
    watchers = [];
    probes = [];
  });

  // Registered after the nodes' hooks, so it runs before them: the watchers and this test's own clients go first.
  afterEach(async () => {
    await Promise.all(watchers.map(({ client }) => client.close()));
    await Promise.all(probes.map(closeRedisClient));
  });

  it(
    'after a manual failover, each node sends its rooms the terminal updates it never heard of, once',
    { timeout: 120_000 },
    async () => {
      // A 16-character id makes a 20-character room, which the adapter publishes to on the namespace channel.
      const jobs = [...Array.from({ length: 7 }, (_, index) => `moved-${index}`), 'sixteen-chars-id'];
      const { a, b, group } = await watchRunningJobs(jobs, 6);

      // Every job's terminal goes into the store without a publish: what the nodes miss while their subscriptions move.
      const { expected } = await storeTerminalsUnpublished(jobs);

      // The master of the most channels hands over to its replica: the slot map changes, the nodes resubscribe and catch up.
      const [master] = await busiestChannelMaster(jobs);
      await testNodes.target.cluster.failover(await testNodes.target.cluster.replicaOf(master));

      await expectEachTerminalOnce(group, expected);
      expect([a, b].map((node) => node.server.health().status)).toEqual(['ok', 'ok']);
      // ioredis subscribes its list of sharded channels again after each topology change: one entry per channel.
      for (const node of [a, b]) expect(repeatedShardedChannels(node.server)).toEqual([]);
    },
  );

  it(
    'after its subscriber connections were killed (every master alive), each node sends its rooms the terminal updates it missed, once',
    { timeout: 120_000 },
    async () => {
      const jobs = Array.from({ length: 8 }, (_, index) => `cut-${index}`);
      const { a, b, group } = await watchRunningJobs(jobs, 6);

      const { client: admin, expected } = await storeTerminalsUnpublished(jobs);
      // A cut between the nodes and the masters, for their subscribers only: the slot map stays as it was.
      const killed = await Promise.all(admin.nodes('master').map(async (master) => Number(await master.client('KILL', 'TYPE', 'pubsub'))));
      expect(killed.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);

      await expectEachTerminalOnce(group, expected);
      expect([a, b].map((node) => node.server.health().status)).toEqual(['ok', 'ok']);
    },
  );

  it(
    'with the classic fan-out, after its subscriber connection was killed (ioredis opens another by itself), each node sends its rooms the terminal updates it missed, once',
    { timeout: 120_000 },
    async () => {
      const jobs = Array.from({ length: 8 }, (_, index) => `classic-cut-${index}`);
      const { a, b, group } = await watchRunningJobs(jobs, 6, { redis: { fanout: 'classic' } });

      const { client: admin, expected } = await storeTerminalsUnpublished(jobs);
      // ioredis subscribes on one connection per node, to any member of the cluster (a replica too).
      const killed = await Promise.all(admin.nodes('all').map(async (member) => Number(await member.client('KILL', 'TYPE', 'pubsub'))));
      expect(killed.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(2);

      await expectEachTerminalOnce(group, expected);
      expect([a, b].map((node) => node.server.health().status)).toEqual(['ok', 'ok']);
    },
  );

  it(
    'after kill -9 of a master, terminal updates published as soon as the store takes them (in the failover window) reach every waitFor once',
    { timeout: 180_000 },
    async () => {
      const logger = recordingLogger();
      // With waitForReplicas too: the promoted replica has no replica of its own until the killed master rejoins, so its
      // updates go out after the timeout, with a warning, and do not stall.
      const jobs = Array.from({ length: 12 }, (_, index) => `window-${index}`);
      const { publisher, group } = await watchRunningJobs(jobs, 10, { redis: { waitForReplicas: { replicas: 1, timeoutMs: 200 } }, logger });

      const [victim, onVictim] = await busiestChannelMaster(jobs);
      expect(onVictim.length).toBeGreaterThanOrEqual(2);
      await testNodes.target.cluster.kill(victim);
      // No more progress after the crash: each terminal goes out as soon as the store takes it, while the nodes may still
      // be subscribed to the dead master (a job's store keys and its channel may live on different masters).
      const terminals = await Promise.all(jobs.map((jobId) => updateUntilAccepted(publisher, jobId, { status: 'completed', data: { result: jobId } }, WAIT_BOUND_MS)));
      const expected = new Map(terminals.map((terminal) => [terminal.jobId, terminal]));

      await expectEachTerminalOnce(group, expected);
      await testNodes.target.cluster.waitUntilHealthy();
      await testNodes.target.cluster.restart(victim);
    },
  );
});
