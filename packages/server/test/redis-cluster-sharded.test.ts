import { ErrorCode, type JobUpdate } from '@org/ws-protocol';
import { Cluster } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { RedisJobStore, type JobPublisher, type JobServerOptions } from '../src/index';
import type { JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { redisClusterTarget } from './support/redis-target';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { closeRedisClient, skipWithoutRedisCluster } from './support/redis-test-env';
import { connectClient, subscribe, type TestClient } from './support/test-client';

const skip = skipWithoutRedisCluster('Redis Cluster sharded fan-out');

installLeakCheck();

/** Collects the `job-update`s a client receives. */
function received(client: TestClient): JobUpdate[] {
  const updates: JobUpdate[] = [];
  client.socket.on('job-update', (update) => updates.push(update));
  return updates;
}

/** The seqs received, in seq order (updates from different processes may arrive out of order; clients reorder them). */
const seqsOf = (updates: JobUpdate[]): number[] => updates.map((update) => update.seq).sort((a, b) => a - b);

/** What a node's adapter got from its Redis subscriber, by channel (every message the sharded subscriber delivered). */
function countDeliveries(node: JobServerResource): Map<string, number> {
  const counts = new Map<string, number>();
  const adapter = node.server.io.of('/').adapter as unknown as { onRawMessage(message: Buffer, channel: Buffer | string): void };
  const original = adapter.onRawMessage.bind(adapter);
  adapter.onRawMessage = (message, channel) => {
    counts.set(channel.toString(), (counts.get(channel.toString()) ?? 0) + 1);
    original(message, channel);
  };
  return counts;
}

/** How many subscribers a sharded channel has in the whole cluster (SHARDNUMSUB on every master). */
async function shardSubscribers(client: Cluster, channel: string): Promise<number> {
  const counts = await Promise.all(client.nodes('master').map(async (master) => ((await master.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Retries an update until it is accepted (during a failover the store answers UNAVAILABLE for a few seconds). */
async function updateUntilAccepted(publisher: JobPublisher, jobId: string, input: Parameters<JobPublisher['update']>[1]): Promise<JobUpdate> {
  let accepted: JobUpdate | undefined;
  await vi.waitFor(
    async () => {
      accepted = await publisher.update(jobId, input);
    },
    { timeout: 20_000, interval: 100 },
  );
  return accepted!;
}

describe.skipIf(skip)('sharded fan-out on a Redis Cluster: a node hears only the jobs its own sockets watch', () => {
  const testNodes = installRedisTestNodes(redisClusterTarget, { probe: true });
  const { startNode } = testNodes;
  /** The command client of the cluster the suite keeps open. */
  const probe = (): Cluster => testNodes.probe as Cluster;
  const startPublisher = (fanout?: 'classic' | 'sharded'): JobPublisher => testNodes.startPublisher({ redis: { fanout } });
  const channelOf = (jobId: string): string => `${testNodes.prefix}socket.io#/#job:${jobId}#`;

  it('delivers each job only to the node watching it: the other nodes receive none of its messages from Redis', async () => {
    const [a, b, c] = [await startNode(), await startNode(), await startNode()];
    const [heardA, heardB, heardC] = [countDeliveries(a), countDeliveries(b), countDeliveries(c)];
    const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
    const [gotA, gotB] = [received(onA), received(onB)];
    await subscribe(onA, { jobId: 'job-a' });
    await subscribe(onB, { jobId: 'job-b' });
    // A subscribe-job is answered only once Redis has the node's subscription of the room (nothing published after
    // the store read can miss the node).
    expect(await shardSubscribers(probe(), channelOf('job-a'))).toBe(1);
    expect(await shardSubscribers(probe(), channelOf('job-b'))).toBe(1);

    const publisher = startPublisher();
    for (let progress = 1; progress <= 20; progress += 1) {
      await publisher.update('job-a', { status: 'running', progress });
      await publisher.update('job-b', { status: 'running', progress });
    }
    // Updates made on a node travel the same way.
    await c.server.update('job-a', { status: 'completed' });
    await c.server.update('job-b', { status: 'completed' });

    await vi.waitFor(() => {
      expect(seqsOf(gotA)).toEqual(Array.from({ length: 21 }, (_, index) => index + 1));
      expect(seqsOf(gotB)).toEqual(Array.from({ length: 21 }, (_, index) => index + 1));
    });
    expect(heardA.get(channelOf('job-a'))).toBe(21);
    expect(heardB.get(channelOf('job-b'))).toBe(21);
    expect(heardA.get(channelOf('job-b'))).toBeUndefined();
    expect(heardB.get(channelOf('job-a'))).toBeUndefined();
    // The node without watchers received nothing at all (its own updates it sent; they do not come back to it).
    expect([...heardC.values()].reduce((sum, count) => sum + count, 0)).toBe(0);

    // When the last watcher leaves, the node unsubscribes.
    onA.socket.disconnect();
    await vi.waitFor(async () => expect(await shardSubscribers(probe(), channelOf('job-a'))).toBe(0));
    expect(await shardSubscribers(probe(), channelOf('job-b'))).toBe(1);
  });

  it('still fans out classically on a cluster when asked to, with the emitter publishing to every node', async () => {
    const options = { redis: { fanout: 'classic' } } as JobServerOptions;
    const [a, b] = [await startNode(options), await startNode(options)];
    const [onA, onB] = [await connectClient(a.url), await connectClient(b.url)];
    const [gotA, gotB] = [received(onA), received(onB)];
    await subscribe(onA, { jobId: 'classic-job' });
    await subscribe(onB, { jobId: 'classic-job' });
    expect(await shardSubscribers(probe(), channelOf('classic-job'))).toBe(0);

    const publisher = startPublisher('classic');
    await publisher.update('classic-job', { status: 'running', progress: 50 });
    await b.server.update('classic-job', { status: 'completed' });
    await vi.waitFor(() => {
      expect(seqsOf(gotA)).toEqual([1, 2]);
      expect(seqsOf(gotB)).toEqual([1, 2]);
    });
  });

  it('keeps each job in one slot, spreads the jobs over every master, and counts and replays them there', async () => {
    const client = testNodes.target.client();
    try {
      const store = new RedisJobStore({ client, keyPrefix: testNodes.prefix, bufferSize: 3 });
      const jobIds = Array.from({ length: 60 }, (_, index) => `spread-${index}`);
      await Promise.all(jobIds.map((jobId) => store.append(jobId, { status: 'running' }, Date.now())));
      for (const progress of [10, 20, 30]) await store.append('spread-0', { status: 'running', progress }, Date.now());
      await store.append('spread-1', { status: 'completed' }, Date.now());

      const keys = await testNodes.target.listKeys(`${testNodes.prefix}job:`);
      expect(keys).toHaveLength(60);
      const masters = new Set(await Promise.all(keys.map(async (key) => (await testNodes.target.cluster.masterOf(key)).port)));
      expect(masters.size).toBe(3);
      // A job's hash, its buffer and its bucket's indexes share one hash tag, hence one slot.
      const [tag] = /\{\d+\}/.exec(keys.find((key) => key.endsWith(':spread-0'))!)!;
      const slots = new Set(
        await Promise.all(
          [`${testNodes.prefix}job:${tag}:spread-0`, `${testNodes.prefix}updates:${tag}:spread-0`, `${testNodes.prefix}jobs:active:${tag}`].map((key) => probe().call('CLUSTER', 'KEYSLOT', key)),
        ),
      );
      expect(slots.size).toBe(1);

      await store.refreshCounts();
      expect(store.countByStatus()).toEqual({ queued: 0, running: 59, completed: 1, failed: 0, cancelled: 0 });
      const replay = await store.replay('spread-0', 1);
      expect(replay).toMatchObject({ resync: false, snapshot: { seq: 4, progress: 30 } });
      expect(await store.findExpired({ now: Date.now() + 10 * 60 * 60 * 1000, staleJobMs: 1000, finishedJobRetentionMs: 1000, limit: 5 })).toHaveLength(6);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('recovers from a master killed with kill -9: the replica takes over, every watcher gets updates again and the terminal once', { timeout: 60_000 }, async () => {
    const options = { limits: { maxConnectionsPerIp: 1000 } };
    const [a, b] = [await startNode(options), await startNode(options)];
    const jobId = 'failover-job';
    const watchers = await Promise.all(Array.from({ length: 200 }, (_, index) => connectClient((index % 2 === 0 ? a : b).url)));
    const got = watchers.map(received);
    await Promise.all(watchers.map((watcher) => subscribe(watcher, { jobId })));
    await vi.waitFor(async () => expect(await shardSubscribers(probe(), channelOf(jobId))).toBe(2));
    const publisher = startPublisher();
    await publisher.update(jobId, { status: 'running', progress: 1 });
    await vi.waitFor(() => expect(got.every((updates) => updates.length === 1)).toBe(true));

    const victim = await testNodes.target.cluster.masterOf(channelOf(jobId));
    await testNodes.target.cluster.kill(victim);
    // While the slot has no master, updates fail with UNAVAILABLE (or are lost in the air): nothing hangs.
    await expect(publisher.update(jobId, { status: 'running', progress: 2 }).then(() => 'accepted', (error: { code?: string }) => error.code)).resolves.toMatch(
      new RegExp(`accepted|${ErrorCode.UNAVAILABLE}`),
    );
    await testNodes.target.cluster.waitUntilHealthy(channelOf(jobId));

    // The nodes subscribe again on the promoted replica by themselves: progress reaches every watcher again. Each
    // round publishes one update and gives it a second to arrive; an update sent before the nodes resubscribed is lost.
    const reachedAll = (update: JobUpdate): boolean => got.every((updates) => updates.some((received) => received.seq === update.seq));
    let recovered = false;
    for (let round = 0; round < 20 && !recovered; round += 1) {
      const update = await updateUntilAccepted(publisher, jobId, { status: 'running', progress: 10 + round });
      recovered = await vi.waitFor(() => expect(reachedAll(update)).toBe(true), { timeout: 1000, interval: 20 }).then(
        () => true,
        () => false,
      );
    }
    expect(recovered).toBe(true);
    const terminal = await updateUntilAccepted(publisher, jobId, { status: 'completed' });

    await vi.waitFor(() => expect(got.every((updates) => updates.filter((update) => update.status === 'completed').length === 1)).toBe(true), { timeout: 10_000 });
    for (const updates of got) {
      expect(updates.filter((update) => update.status === 'completed')).toEqual([terminal]);
      expect(updates.at(-1)).toEqual(terminal);
    }
    expect(a.server.health().status).toBe('ok');
  });
});
