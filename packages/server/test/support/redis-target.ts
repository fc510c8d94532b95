import { Redis, type Cluster } from 'ioredis';
import type { RedisConnectionOptions, RedisFanout, RedisNamespaceOptions } from '../../src/index';
import { clusterClient, startRedisCluster, type RedisClusterResource, type RedisClusterStartOptions } from './redis-cluster-process';
import { closeRedisClient, listKeys, REDIS_URL, removeKeys } from './redis-test-env';

/** A Redis deployment the multi-node suites run against: the shared single Redis, or a private local Redis Cluster. */
export interface RedisTarget {
  /** How the package reaches it (`{ url }` or `{ nodes }`), and the fan-out when it is not the default. */
  readonly connection: RedisConnectionOptions & Pick<RedisNamespaceOptions, 'fanout'>;
  /** A new command client of it (the test closes it). */
  client(): Redis | Cluster;
  /** Keys under `prefix` (every master of a cluster). */
  listKeys(prefix: string): Promise<string[]>;
  /** Deletes every key under `prefix`. */
  removeKeys(prefix: string): Promise<void>;
  /** Stops what the target started (the cluster's processes); nothing for the shared Redis. */
  destroy(): Promise<void>;
}

/** The shared Redis at `REDIS_URL`, with its default (classic) fan-out or the one given. */
export function singleRedisTarget(fanout?: RedisFanout): RedisTarget {
  return {
    connection: fanout === undefined ? { url: REDIS_URL } : { url: REDIS_URL, fanout },
    client: () => new Redis(REDIS_URL),
    listKeys: (prefix) => listKeys(prefix),
    removeKeys: (prefix) => removeKeys(prefix),
    destroy: async () => undefined,
  };
}

/** Runs `each` on every master of the cluster client (SCAN and KEYS only see the node they run on). */
async function onEveryMaster<T>(cluster: RedisClusterResource, each: (master: Redis) => Promise<T[]>): Promise<T[]> {
  const client = clusterClient(cluster);
  try {
    await client.ping();
    return (await Promise.all(client.nodes('master').map(each))).flat();
  } finally {
    await closeRedisClient(client);
  }
}

/** A private local Redis Cluster (3 masters + 3 replicas), started now and stopped by `destroy`. */
export async function redisClusterTarget(options?: RedisClusterStartOptions): Promise<RedisTarget & { readonly cluster: RedisClusterResource }> {
  const cluster = await startRedisCluster(options);
  const keysOf = (prefix: string): Promise<string[]> => onEveryMaster(cluster, (master) => master.keys(`${prefix}*`));
  return {
    cluster,
    connection: { nodes: cluster.nodes },
    client: () => clusterClient(cluster),
    listKeys: keysOf,
    removeKeys: async (prefix) => {
      await onEveryMaster(cluster, async (master) => {
        const keys = await master.keys(`${prefix}*`);
        // One DEL per key: a cluster node refuses a DEL whose keys are in different slots.
        await Promise.all(keys.map((key) => master.del(key)));
        return [];
      });
    },
    destroy: () => cluster.destroy(),
  };
}
