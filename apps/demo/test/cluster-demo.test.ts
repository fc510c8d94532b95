import { createServer } from 'node:net';
import { createJobClient, type JobClient } from '@org/ws-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DemoSettingsSchema, StartedJobsSchema } from '../src/api-schemas';
import { ClusterDemoConfigError, startClusterDemo, takeClusterFlags, type ClusterDemo } from '../src/cluster-demo';
// The Redis probe of the server's Redis suites: same REDIS_URL, same skip-or-fail rule.
import { listKeys, REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from '../../../packages/server/test/support/redis-test-env';
import { testDemoConfig } from './support/demo-resource';
import { seededRandom } from './support/seeded-random';

const skip = await skipWithoutRedis('demo --nodes');

/** A port P with P + 1 free as well (the nodes listen on consecutive ports). */
async function twoFreePorts(): Promise<number> {
  const listen = (port: number): Promise<import('node:net').Server | undefined> =>
    new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, '127.0.0.1', () => resolve(probe));
    });
  const close = (server: import('node:net').Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const first = await listen(0);
    if (!first) continue;
    const port = (first.address() as { port: number }).port;
    const second = port < 65_535 ? await listen(port + 1) : undefined;
    await close(first);
    if (second) {
      await close(second);
      return port;
    }
  }
  throw new Error('no two consecutive free ports');
}

describe('--nodes flags', () => {
  it('takes --nodes out of the arguments and needs REDIS_URL for more than one node', () => {
    expect(takeClusterFlags(['--fast', '--nodes', '2'], { REDIS_URL: 'redis://r:6379' })).toEqual({ nodes: 2, redisUrl: 'redis://r:6379', rest: ['--fast'] });
    expect(takeClusterFlags(['--nodes=3'], { REDIS_URL: 'redis://r:6379' }).nodes).toBe(3);
    expect(takeClusterFlags([], { DEMO_NODES: '2', REDIS_URL: 'redis://r' }).nodes).toBe(2);
    expect(takeClusterFlags(['--port', '4000'], {})).toEqual({ nodes: 1, redisUrl: undefined, rest: ['--port', '4000'] });
    expect(() => takeClusterFlags(['--nodes', '2'], {})).toThrow(ClusterDemoConfigError);
    expect(() => takeClusterFlags(['--nodes', 'two'], { REDIS_URL: 'redis://r' })).toThrow('--nodes=two: must be an integer from 1 to 10');
  });
});

describe.skipIf(skip)('demo with two nodes on Redis', () => {
  let demo: ClusterDemo | undefined;
  let client: JobClient | undefined;
  let keyPrefix: string;

  beforeEach(() => {
    keyPrefix = uniqueKeyPrefix();
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
    const nodes = demo?.nodes ?? [];
    await demo?.close();
    demo = undefined;
    for (const node of nodes) {
      expect(node?.jobServer.stats()).toEqual({ connections: 0, connectionsByIp: 0, pendingTransports: 0, jobs: 0, subscriptions: 0, rateLimitRecords: 0, watchedJobs: 0, pendingHeartbeats: 0, pendingNotices: 0, pendingAcks: 0, timers: 0, pendingConflations: 0 });
    }
    await removeKeys(keyPrefix);
  });

  it('runs jobs started on one node to the end on a page of the other, and tells the page every node', async () => {
    const port = await twoFreePorts();
    demo = await startClusterDemo({ config: { ...testDemoConfig(), port }, nodes: 2, redisUrl: REDIS_URL, random: seededRandom(3), keyPrefix });
    const [first, second] = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    const settings = DemoSettingsSchema.parse(await (await fetch(`${second}/api/settings`)).json());
    expect(settings.nodePorts).toEqual([port, port + 1]);

    const { jobIds } = StartedJobsSchema.parse(await (await fetch(`${first}/api/jobs?count=3`, { method: 'POST' })).json());
    client = createJobClient({ urls: [second], auth: 'tab-cluster-test' });
    const lastStatus = async (jobId: string): Promise<string | undefined> => {
      let status: string | undefined;
      for await (const update of client!.watch(jobId)) status = update.status;
      return status;
    };
    const outcomes = await Promise.all(jobIds.map(lastStatus));
    expect(outcomes.every((status) => status === 'completed' || status === 'failed')).toBe(true);
    // The run's jobs live under the prefix given, which afterEach removes.
    expect(await listKeys(`${keyPrefix}job:`)).toHaveLength(3);
  });
});
