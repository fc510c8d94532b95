import type { JobUpdate } from '@org/ws-protocol';
import type { Cluster } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { createJobPublisher } from '../src/index';
import { installLeakCheck } from './support/leak-check';
import { recordingLogger } from './support/recording-logger';
import type { RedisClusterMember } from './support/redis-cluster-process';
import { redisClusterTarget } from './support/redis-target';
import { withRedis } from './support/redis-server-process';
import { installRedisTestNodes } from './support/redis-test-nodes';
import { skipWithoutRedisCluster } from './support/redis-test-env';
import { connectClient, subscribe } from './support/test-client';

const skip = skipWithoutRedisCluster('waitForReplicas on a Redis Cluster');

installLeakCheck();

/** How many times each command ran on one member since its last `CONFIG RESETSTAT` (`INFO commandstats`). */
async function commandCalls(port: number): Promise<Map<string, number>> {
  const text = await withRedis(port, (client) => client.info('commandstats'));
  return new Map([...text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, command, calls]) => [command!, Number(calls)]));
}

/** A job's hash as a replica holds it (`READONLY`: a cluster replica serves reads of its master's slots). */
async function snapshotOnReplica(replica: RedisClusterMember, key: string): Promise<JobUpdate | null> {
  const json = await withRedis(replica.port, async (client) => {
    await client.call('READONLY');
    return client.hget(key, 'snapshot');
  });
  return json === null ? null : (JSON.parse(json) as JobUpdate);
}

describe.skipIf(skip)('redis.waitForReplicas on a Redis Cluster: an update is published once a replica holds it', () => {
  const testNodes = installRedisTestNodes(redisClusterTarget, { probe: true });
  /** The command client of the cluster the suite keeps open. */
  const probe = (): Cluster => testNodes.probe as Cluster;

  const jobKeyOf = async (jobId: string): Promise<string> =>
    (await testNodes.target.listKeys(testNodes.prefix)).find((key) => key.startsWith(`${testNodes.prefix}job:`) && key.endsWith(`}:${jobId}`))!;

  it('sends WAIT to the master that holds the job, behind its append, and resolves once the replica holds the update', async () => {
    const logger = recordingLogger();
    const publisher = testNodes.startPublisher({ redis: { waitForReplicas: { replicas: 1, timeoutMs: 1000 } }, logger });
    await publisher.update('durable-1', { status: 'running', progress: 10 });
    const key = await jobKeyOf('durable-1');
    const master = await testNodes.target.cluster.masterOf(key);
    await Promise.all(probe().nodes('master').map((node) => node.call('CONFIG', 'RESETSTAT')));

    const terminal = await publisher.update('durable-1', { status: 'completed', data: { url: 'x' } });

    for (const { port } of testNodes.target.cluster.members) {
      const calls = await commandCalls(port);
      // The pipeline of the append script and its WAIT went to the job's master, and no WAIT anywhere else.
      expect(calls.get('wait') ?? 0).toBe(port === master.port ? 1 : 0);
      if (port === master.port) expect((calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0)).toBe(1);
    }
    expect(await snapshotOnReplica(await testNodes.target.cluster.replicaOf(master), key)).toEqual(terminal);
    expect(logger.warnings).toEqual([]);
  });

  it('publishes anyway and warns with the counts when fewer replicas acknowledge within timeoutMs', async () => {
    const logger = recordingLogger();
    const node = await testNodes.startNode({ redis: testNodes.redisOptions({ waitForReplicas: { replicas: 1, timeoutMs: 100 } }), logger });
    await node.server.update('durable-2', { status: 'running', progress: 10 });
    const master = await testNodes.target.cluster.masterOf(await jobKeyOf('durable-2'));
    const client = await connectClient(node.url);
    const delivered: JobUpdate[] = [];
    client.socket.on('job-update', (update) => delivered.push(update));
    expect(await subscribe(client, { jobId: 'durable-2', lastSeq: 1 })).toMatchObject({ ok: true });

    // A stopped replica acknowledges nothing: the WAIT runs out after 100 ms.
    const resume = testNodes.target.cluster.suspend(await testNodes.target.cluster.replicaOf(master));
    let terminal: JobUpdate;
    try {
      terminal = await node.server.update('durable-2', { status: 'completed' });
    } finally {
      resume();
    }
    expect(terminal.seq).toBe(2);
    await vi.waitFor(() => expect(delivered).toEqual([terminal]), { timeout: 10_000, interval: 20 });
    // Only the terminal's wait is certain to run out: the first update's may too on a loaded machine (its replica slower than 100 ms).
    expect(logger.warnings.filter((warning) => warning.seq === 2)).toEqual([{ jobId: 'durable-2', seq: 2, acknowledged: 0, replicas: 1 }]);
    await testNodes.target.cluster.waitUntilHealthy();
  });

  it('refuses a waitForReplicas without a usable timeout before opening any connection', () => {
    expect(() => createJobPublisher({ redis: { ...testNodes.target.connection, waitForReplicas: { replicas: 1, timeoutMs: 0 } } })).toThrow(RangeError);
    expect(() => createJobPublisher({ redis: { ...testNodes.target.connection, waitForReplicas: { replicas: 0 } } })).toThrow(RangeError);
  });
});
