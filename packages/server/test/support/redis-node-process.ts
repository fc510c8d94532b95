// One job-server node in its own process, sharing Redis with the others: `kill -9` on it is a real crash.
import type { JobUpdateInput } from '@org/ws-protocol';
import { createJobServer, type RedisConnectionOptions } from '@org/ws-server';
import { childConfig, sendEvent, serveRequests } from './redis-child-ipc';

/** Config of a node process. */
export interface NodeProcessConfig {
  /** `{ url }` of a single Redis or `{ nodes }` of a Redis Cluster. */
  redis: RedisConnectionOptions;
  keyPrefix: string;
  maxConnectionsPerIp: number;
  nodeTtlMs: number;
}

const config = childConfig<NodeProcessConfig>();
const server = createJobServer({
  redis: { ...config.redis, keyPrefix: config.keyPrefix, nodeTtlMs: config.nodeTtlMs },
  limits: { maxConnectionsPerIp: config.maxConnectionsPerIp },
  // A short tick, so that the node refreshes its connection counts several times per TTL.
  heartbeat: { intervalMs: 1000, timeoutMs: 300 },
});
const port = await server.listen({ port: 0, host: '127.0.0.1' });

serveRequests({
  update: ({ jobId, input }) => server.update(jobId as string, input as JobUpdateInput),
  stats: () => ({ stats: server.stats(), health: server.health() }),
  close: async () => {
    await server.close({ timeoutMs: 1000 });
    return { stats: server.stats() };
  },
});
sendEvent('ready', { port });
