import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { JobServerOptionsError } from '../errors';
import { resolveOptions } from '../options';

describe('the redis option', () => {
  it('is absent by default: one process, in memory', () => {
    expect(resolveOptions({}).redis).toBeUndefined();
  });

  it('takes a URL and fills in the defaults', () => {
    expect(resolveOptions({ redis: { url: 'redis://127.0.0.1:6379' } }).redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'ws-jobs:',
      nodeTtlMs: 30_000,
    });
  });

  it('takes an ioredis client', () => {
    const client = new Redis({ lazyConnect: true });
    expect(resolveOptions({ redis: { client, keyPrefix: 'app:' } }).redis).toMatchObject({ client, keyPrefix: 'app:' });
    client.disconnect();
  });

  it.each([
    [{}, 'redis'],
    [{ url: 'redis://a', client: new Redis({ lazyConnect: true }) }, 'redis'],
    [{ url: 'http://a' }, 'redis.url'],
    [{ client: {} }, 'redis.client'],
    [{ url: 'redis://a', nodeTtlMs: 10 }, 'redis.nodeTtlMs'],
    [{ url: 'redis://a', keyPrefix: '' }, 'redis.keyPrefix'],
    [{ url: 'redis://a', extra: 1 }, 'redis.extra'],
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
