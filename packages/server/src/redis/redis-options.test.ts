import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { JobServerOptionsError } from '../errors';
import { resolveOptions } from '../options';
import { createJobPublisher } from './job-publisher';
import { RedisJobStore } from './redis-job-store';

describe('the redis option', () => {
  it('is absent by default: one process, in memory', () => {
    expect(resolveOptions({}).redis).toBeUndefined();
  });

  it('takes a URL and fills in the defaults', () => {
    expect(resolveOptions({ redis: { url: 'redis://127.0.0.1:6379' } }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'ws-jobs:',
      nodeTtlMs: 30_000,
      fanout: 'classic',
    });
  });

  it('takes the startup nodes of a Redis Cluster, and fans out sharded by default there', () => {
    const nodes = [{ host: '10.0.0.1', port: 7000 }, '10.0.0.2:7000'];
    expect(resolveOptions({ redis: { nodes } }).redis).toEqual({ nodes, keyPrefix: 'ws-jobs:', nodeTtlMs: 30_000, fanout: 'sharded' });
    expect(resolveOptions({ redis: { nodes, fanout: 'classic' } }).redis).toMatchObject({ fanout: 'classic' });
  });

  it('takes an ioredis Cluster, and fans out sharded by default with it', () => {
    const client = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    expect(resolveOptions({ redis: { client } }).redis).toMatchObject({ client, fanout: 'sharded' });
    client.disconnect();
  });

  it('takes an ioredis client', () => {
    const client = new Redis({ lazyConnect: true });
    expect(resolveOptions({ redis: { client, keyPrefix: 'app:' } }).redis).toMatchObject({ client, keyPrefix: 'app:', fanout: 'classic' });
    expect(resolveOptions({ redis: { client, fanout: 'sharded' } }).redis).toMatchObject({ fanout: 'sharded' });
    client.disconnect();
  });

  it('takes waitForReplicas, with a timeout of 500 ms by default', () => {
    expect(resolveOptions({ redis: { url: 'redis://a', waitForReplicas: { replicas: 1 } } }).redis).toMatchObject({ waitForReplicas: { replicas: 1, timeoutMs: 500 } });
    expect(resolveOptions({ redis: { url: 'redis://a', waitForReplicas: { replicas: 2, timeoutMs: 50 } } }).redis).toMatchObject({ waitForReplicas: { replicas: 2, timeoutMs: 50 } });
  });

  it('refuses a keyPrefix with braces, saying why', () => {
    expect(() => resolveOptions({ redis: { url: 'redis://a', keyPrefix: '{app}:' } })).toThrow(/must not contain \{ or \}/);
  });

  it('refuses it for a job publisher and a RedisJobStore too, with a RangeError, before any connection is opened', () => {
    for (const keyPrefix of ['{app}:', 'app}:']) {
      expect(() => createJobPublisher({ redis: { url: 'redis://127.0.0.1:6379', keyPrefix } })).toThrow(RangeError);
      expect(() => createJobPublisher({ redis: { url: 'redis://127.0.0.1:6379', keyPrefix } })).toThrow(/keyPrefix: must not contain \{ or \}/);
      const client = new Redis({ lazyConnect: true });
      expect(() => new RedisJobStore({ client, keyPrefix })).toThrow(RangeError);
      expect(() => new RedisJobStore({ client, keyPrefix })).toThrow(/keyPrefix: must not contain \{ or \}/);
      expect(client.status).toBe('wait');
    }
  });

  it.each([
    [{}, 'redis'],
    [{ url: 'redis://a', waitForReplicas: { replicas: 0 } }, 'redis.waitForReplicas.replicas'],
    [{ url: 'redis://a', waitForReplicas: { replicas: 1, timeoutMs: 0 } }, 'redis.waitForReplicas.timeoutMs'],
    [{ url: 'redis://a', waitForReplicas: { replicas: 1, timeoutMs: 1001 } }, 'redis.waitForReplicas.timeoutMs'],
    [{ url: 'redis://a', client: new Redis({ lazyConnect: true }) }, 'redis'],
    [{ url: 'http://a' }, 'redis.url'],
    [{ client: {} }, 'redis.client'],
    [{ url: 'redis://a', nodeTtlMs: 10 }, 'redis.nodeTtlMs'],
    [{ url: 'redis://a', keyPrefix: '' }, 'redis.keyPrefix'],
    [{ url: 'redis://a', keyPrefix: '{app}:' }, 'redis.keyPrefix'],
    [{ nodes: ['a:1'], keyPrefix: 'app}:' }, 'redis.keyPrefix'],
    [{ url: 'redis://a', extra: 1 }, 'redis.extra'],
    [{ url: 'redis://a', nodes: ['a:1'] }, 'redis'],
    [{ nodes: [] }, 'redis.nodes'],
    [{ nodes: ['no-port'] }, 'redis.nodes.0'],
    [{ url: 'redis://a', fanout: 'broadcast' }, 'redis.fanout'],
  ])('refuses %o naming %s', (redis, option) => {
    const attempt = () => resolveOptions({ redis });
    expect(attempt).toThrow(JobServerOptionsError);
    try {
      attempt();
    } catch (error) {
      expect((error as JobServerOptionsError).option).toBe(option);
    }
  });
});
