import type { JobUpdate } from '@org/ws-protocol';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobPublisher, type JobPublisher, type JobServerLogger, type JobServerOptions } from '../src/index';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import type { RedisClusterMember, RedisClusterResource } from './support/redis-cluster-process';
import { redisClusterTarget, type RedisTarget } from './support/redis-target';
import { closeRedisClient, skipWithoutRedisCluster, uniqueKeyPrefix } from './support/redis-test-env';
import { connectClient, subscribe } from './support/test-client';

const skip = skipWithoutRedisCluster('waitForReplicas on a Redis Cluster');

installLeakCheck();

/** A logger that keeps its warnings. */
function recordingLogger(): JobServerLogger & { warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  return { warnings, info: () => undefined, error: () => undefined, warn: (context) => warnings.push(context) };
}

/** How many times each command ran on one member since its last `CONFIG RESETSTAT` (`INFO commandstats`). */
async function commandCalls(port: number): Promise<Map<string, number>> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  try {
    const text = await client.info('commandstats');
    return new Map([...text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(([, command, calls]) => [command!, Number(calls)]));
  } finally {
    await closeRedisClient(client);
  }
}

/** A job's hash as a replica holds it (`READONLY`: a cluster replica serves reads of its master's slots). */
async function snapshotOnReplica(replica: RedisClusterMember, key: string): Promise<JobUpdate | null> {
  const client = new Redis({ port: replica.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  try {
    await client.call('READONLY');
    const json = await client.hget(key, 'snapshot');
    return json === null ? null : (JSON.parse(json) as JobUpdate);
  } finally {
    await closeRedisClient(client);
  }
}

describe.skipIf(skip)('redis.waitForReplicas on a Redis Cluster: an update is published once a replica holds it', () => {
  let target: RedisTarget & { readonly cluster: RedisClusterResource };
  let probe: Cluster;
  let prefix: string;
  let nodes: JobServerResource[];
  let publishers: JobPublisher[];

  const jobKeyOf = async (jobId: string): Promise<string> => (await target.listKeys(prefix)).find((key) => key.startsWith(`${prefix}job:`) && key.endsWith(`}:${jobId}`))!;

  beforeAll(async () => {
    target = await redisClusterTarget();
    probe = target.client() as Cluster;
  }, 30_000);

  afterAll(async () => {
    if (probe) await closeRedisClient(probe);
    await target?.destroy();
  });

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
    nodes = [];
    publishers = [];
  });

  afterEach(async () => {
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await Promise.all(nodes.map((node) => node.close()));
    await target.removeKeys(prefix);
  });

  it('sends WAIT to the master that holds the job, behind its append, and resolves once the replica holds the update', async () => {
    const logger = recordingLogger();
    const publisher = createJobPublisher({ redis: { ...target.connection, keyPrefix: prefix, waitForReplicas: { replicas: 1, timeoutMs: 1000 } }, logger });
    publishers.push(publisher);
    await publisher.update('durable-1', { status: 'running', progress: 10 });
    const key = await jobKeyOf('durable-1');
    const master = await target.cluster.masterOf(key);
    await Promise.all(probe.nodes('master').map((node) => node.call('CONFIG', 'RESETSTAT')));

    const terminal = await publisher.update('durable-1', { status: 'completed', data: { url: 'x' } });

    for (const { port } of target.cluster.members) {
      const calls = await commandCalls(port);
      // The pipeline of the append script and its WAIT went to the job's master, and no WAIT anywhere else.
      expect(calls.get('wait') ?? 0).toBe(port === master.port ? 1 : 0);
      if (port === master.port) expect((calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0)).toBe(1);
    }
    expect(await snapshotOnReplica(await target.cluster.replicaOf(master), key)).toEqual(terminal);
    expect(logger.warnings).toEqual([]);
  });

  it('publishes anyway and warns with the counts when fewer replicas acknowledge within timeoutMs', async () => {
    const logger = recordingLogger();
    const redis = { ...target.connection, keyPrefix: prefix, waitForReplicas: { replicas: 1, timeoutMs: 100 } } as JobServerOptions['redis'];
    const node = await startJobServer({ redis, logger });
    nodes.push(node);
    await node.server.update('durable-2', { status: 'running', progress: 10 });
    const master = await target.cluster.masterOf(await jobKeyOf('durable-2'));
    const client = await connectClient(node.url);
    const delivered: JobUpdate[] = [];
    client.socket.on('job-update', (update) => delivered.push(update));
    expect(await subscribe(client, { jobId: 'durable-2', lastSeq: 1 })).toMatchObject({ ok: true });

    // A stopped replica acknowledges nothing: the WAIT runs out after 100 ms.
    const resume = target.cluster.suspend(await target.cluster.replicaOf(master));
    let terminal: JobUpdate;
    try {
      terminal = await node.server.update('durable-2', { status: 'completed' });
    } finally {
      resume();
    }
    expect(terminal.seq).toBe(2);
    await vi.waitFor(() => expect(delivered).toEqual([terminal]), { timeout: 10_000, interval: 20 });
    expect(logger.warnings).toContainEqual({ jobId: 'durable-2', seq: 2, acknowledged: 0, replicas: 1 });
    expect(logger.warnings).toHaveLength(1);
    await target.cluster.waitUntilHealthy();
  });

  it('refuses a waitForReplicas without a usable timeout before opening any connection', () => {
    expect(() => createJobPublisher({ redis: { ...target.connection, waitForReplicas: { replicas: 1, timeoutMs: 0 } } })).toThrow(RangeError);
    expect(() => createJobPublisher({ redis: { ...target.connection, waitForReplicas: { replicas: 0 } } })).toThrow(RangeError);
  });
});
