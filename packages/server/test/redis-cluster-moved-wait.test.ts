import { ErrorCode, JobProtocolError, type JobUpdate } from '@org/ws-protocol';
import type { Cluster } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UNAVAILABLE_RETRY_AFTER_MS } from '../src/jobs/store-failure';
import { seenByAll, watchJobs, type Watcher } from './support/failover-watchers';
import { installLeakCheck } from './support/leak-check';
import { recordingLogger } from './support/recording-logger';
import type { RedisClusterMember } from './support/redis-cluster-process';
import { redisClusterTarget } from './support/redis-target';
import { withRedis } from './support/redis-server-process';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { closeRedisClient, skipWithoutRedisCluster } from './support/redis-test-env';

const skip = skipWithoutRedisCluster('waitForReplicas on a Redis Cluster whose slot moved');

/** Longest a step may take before it counts as hung (bounds a hang, not the speed of a loaded machine). */
const WAIT_BOUND_MS = 10_000;

installLeakCheck();

/** A job's snapshot and update buffer as one master holds them, read on a plain connection (no redirection). */
async function jobOn(master: RedisClusterMember, jobKey: string, updatesKey: string): Promise<{ snapshot: JobUpdate; buffer: JobUpdate[] }> {
  const [snapshot, buffer] = await withRedis(master.port, (client) => Promise.all([client.hget(jobKey, 'snapshot'), client.lrange(updatesKey, 0, -1)]));
  return { snapshot: JSON.parse(snapshot!) as JobUpdate, buffer: buffer.map((json) => JSON.parse(json) as JobUpdate) };
}

describe.skipIf(skip)('redis.waitForReplicas on a Redis Cluster: the job’s slot moved to another master', () => {
  let clients: Cluster[] = [];
  let watchers: Watcher[] = [];
  // Registered before the nodes' hooks, so that it runs after them: a client closes once the publisher using it did.
  afterEach(async () => {
    await Promise.all(clients.map((client) => closeRedisClient(client)));
    clients = [];
  });
  const testNodes = installRedisTestNodes(redisClusterTarget);
  // Registered after the nodes' hooks, so that it runs before them: the watchers go before their node.
  afterEach(async () => {
    await Promise.all(watchers.map(({ client }) => client.close()));
    watchers = [];
  });

  it('fails the next update once with UNAVAILABLE, learns the new owner, and the update after it lands there without a seq written twice or skipped', { timeout: 60_000 }, async () => {
    // The application's own Cluster client: ioredis refreshes its slot cache on no timer by default, so only the
    // store's refresh after the MOVED of its pipeline (append script + WAIT, which ioredis does not redirect) can
    // send the next update to the new owner.
    const client = testNodes.target.client() as Cluster;
    clients.push(client);
    const logger = recordingLogger();
    const publisher = testNodes.startPublisher({ redis: { nodes: undefined, client, waitForReplicas: { replicas: 1 } }, logger });
    const node = await testNodes.startNode();
    const first = await publisher.update('moved-1', { status: 'running', progress: 10 });
    const watcher = watchJobs([node.url], ['moved-1'], 3 * WAIT_BOUND_MS);
    watchers.push(watcher);
    await vi.waitFor(() => expect(seenByAll([watcher], ['moved-1'], 1)).toBe(true), { timeout: WAIT_BOUND_MS, interval: 20 });
    const second = await publisher.update('moved-1', { status: 'running', progress: 50 });
    const keys = await testNodes.target.listKeys(testNodes.prefix);
    const jobKey = keys.find((key) => key.startsWith(`${testNodes.prefix}job:`) && key.endsWith('}:moved-1'))!;
    const updatesKey = keys.find((key) => key.startsWith(`${testNodes.prefix}updates:`) && key.endsWith('}:moved-1'))!;

    const { slot, from, to } = await testNodes.target.cluster.moveSlot(jobKey);
    // The client still sends the job's keys to the old master.
    expect(client.slots[slot]?.[0]).toBe(`127.0.0.1:${from.port}`);

    const failure: unknown = await publisher.update('moved-1', { status: 'running', progress: 90 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JobProtocolError);
    expect(failure).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS, message: 'job state is unavailable; retry later' });
    expect((failure as JobProtocolError).cause).toMatchObject({ name: 'ReplyError', message: `MOVED ${slot} 127.0.0.1:${to.port}` });
    await vi.waitFor(() => expect(client.slots[slot]?.[0]).toBe(`127.0.0.1:${to.port}`), { timeout: WAIT_BOUND_MS, interval: 20 });

    const terminal = await publisher.update('moved-1', { status: 'completed', data: { url: 'x' } });
    expect(terminal).toMatchObject({ seq: 3, epoch: first.epoch, status: 'completed' });
    // On the new master: the failed update wrote nothing, the one after it took the next seq.
    expect(await jobOn(to, jobKey, updatesKey)).toEqual({ snapshot: terminal, buffer: [first, second, terminal] });
    // The new master's replica acknowledged it (the WAIT went to the new master too). Only the terminal's wait is judged:
    // on a loaded machine the first update's WAIT, right after the cluster formed, may time out while its replica syncs.
    expect(logger.warnings.filter((warning) => warning.seq === terminal.seq)).toEqual([]);
    // The watcher's application got every update once, in seq order, and the terminal (nothing of the failed one).
    await expect(watcher.settled.get('moved-1')).resolves.toEqual(terminal);
    expect(watcher.updates.get('moved-1')).toEqual([first, second, terminal]);
  });
});
