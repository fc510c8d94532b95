import { describe, expect, it, vi } from 'vitest';
import { RedisConnection } from '../src/redis/redis-connection';
import { installLeakCheck } from './support/leak-check';
import { redisClusterTarget } from './support/redis-target';
import { skipWithoutRedisCluster } from './support/redis-test-env';
import { installRedisTestNodes } from './support/redis-test-nodes';

const skip = skipWithoutRedisCluster('closing a Redis Cluster connection');

installLeakCheck();

/** What the test watches of an ioredis Cluster (5.x, private in its types): whether a slot refresh is in flight, and the timer of the next periodic one. */
interface RefreshingCluster {
  readonly status: string;
  readonly isRefreshing: boolean;
  readonly slotsTimer: NodeJS.Timeout | null;
}

describe.skipIf(skip)('closing the Cluster client the package created from startup nodes', () => {
  const testNodes = installRedisTestNodes(() => redisClusterTarget());

  it('leaves no timer behind when it closes while a periodic slot refresh is in flight (ioredis would re-arm it every second for ever)', async () => {
    const { cluster } = testNodes.target;
    const connection = new RedisConnection({ nodes: cluster.nodes }, () => undefined);
    const client = connection.client as unknown as RefreshingCluster;
    await vi.waitFor(() => expect(client.status).toBe('ready'), { timeout: 10_000 });
    // Suspended members answer no CLUSTER SLOTS: the next periodic refresh stays in flight until its own timeout.
    const resumes = cluster.members.map((member) => cluster.suspend(member));
    try {
      await vi.waitFor(() => expect(client.isRefreshing).toBe(true), { timeout: 10_000, interval: 5 });
      await connection.close();
      // The refresh in flight ended and its re-armed round was cleared: no timer of the client's own is left.
      expect({ isRefreshing: client.isRefreshing, slotsTimer: client.slotsTimer }).toEqual({ isRefreshing: false, slotsTimer: null });
    } finally {
      for (const resume of resumes) resume();
    }
  });
});
