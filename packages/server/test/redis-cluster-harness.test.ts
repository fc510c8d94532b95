import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterClient, startRedisCluster, type RedisClusterResource } from './support/redis-cluster-process';
import { closeRedisClient, skipWithoutRedisCluster } from './support/redis-test-env';

const skip = skipWithoutRedisCluster('Redis Cluster harness');

/** Whether a process with this id still exists. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip)('the local Redis Cluster the cluster suites start', () => {
  let cluster: RedisClusterResource;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('has 3 masters that each own slots, and a Cluster client reaches all of them', async () => {
    const client = clusterClient(cluster);
    try {
      const masters = new Set<number>();
      for (let index = 0; index < 30; index += 1) {
        await client.set(`harness:${index}`, String(index));
        masters.add((await cluster.masterOf(`harness:${index}`)).port);
      }
      expect(masters.size).toBe(3);
      expect(await client.get('harness:29')).toBe('29');
      expect(cluster.members.map(({ port }) => port)).not.toContain(6379);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('stops every member by its PID', async () => {
    const pids = cluster.members.map(({ pid }) => pid);
    expect(pids.every(running)).toBe(true);
    await cluster.destroy();
    expect(pids.filter(running)).toEqual([]);
  });
});
