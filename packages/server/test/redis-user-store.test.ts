import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { RedisJobStore } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { closeRedisClient, REDIS_URL, removeKeys, skipWithoutRedis, uniqueKeyPrefix } from './support/redis-test-env';

const skip = await skipWithoutRedis('RedisJobStore given in store');

installLeakCheck();

describe.skipIf(skip)('a RedisJobStore given in the store option', () => {
  it('has its cluster-wide counts refreshed on every tick of the server, without waiting for a sweep', async () => {
    const prefix = uniqueKeyPrefix();
    const [serverClient, workerClient] = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const store = new RedisJobStore({ client: serverClient, keyPrefix: prefix });
    // A short tick; the first sweep is 5 min away.
    const node = await startJobServer({ store, heartbeat: { intervalMs: 200, timeoutMs: 100 } });
    try {
      const worker = new RedisJobStore({ client: workerClient, keyPrefix: prefix });
      await worker.append('job-1', { status: 'running' }, Date.now());
      await worker.append('job-2', { status: 'queued' }, Date.now());
      await vi.waitFor(() => expect(node.server.maintenance.jobsByStatus()).toEqual({ queued: 1, running: 1, completed: 0, failed: 0, cancelled: 0 }));
      expect(node.server.stats().jobs).toBe(2);
      await worker.append('job-1', { status: 'completed' }, Date.now());
      await vi.waitFor(() => expect(node.server.maintenance.jobsByStatus()).toEqual({ queued: 1, running: 0, completed: 1, failed: 0, cancelled: 0 }));
    } finally {
      await node.close();
      // The server leaves a store given in options open: its owner closes it.
      await store.close();
      await Promise.all([closeRedisClient(serverClient), closeRedisClient(workerClient)]);
      await removeKeys(prefix);
    }
  });
});
