import { createServer } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { createJobServer } from '../src/index';
import { MissingDependencyError } from '../src/optional-dependency';

// As if @socket.io/redis-adapter were not installed (the other optional peers load as usual).
vi.mock('../src/optional-dependency', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/optional-dependency')>();
  return {
    ...actual,
    requireOptional: (dependency: string, feature: string) => {
      if (dependency === '@socket.io/redis-adapter') throw new actual.MissingDependencyError(dependency, feature);
      return actual.requireOptional(dependency, feature);
    },
  };
});

describe('a createJobServer that throws after attaching to the application http.Server', () => {
  it('leaves the http.Server with exactly the listeners it had, so a job server can attach again', async () => {
    const httpServer = createServer((_request, response) => response.end('app route'));
    const before = Object.fromEntries(['request', 'upgrade', 'close', 'listening'].map((event) => [event, httpServer.listeners(event)]));

    expect(() => createJobServer({ httpServer, redis: { url: 'redis://127.0.0.1:6379' } })).toThrow(MissingDependencyError);

    const after = Object.fromEntries(['request', 'upgrade', 'close', 'listening'].map((event) => [event, httpServer.listeners(event)]));
    expect(after).toEqual(before);
    const again = createJobServer({ httpServer });
    expect(httpServer.listenerCount('upgrade')).toBe(1);
    await again.close({ timeoutMs: 0 });
    expect(httpServer.listeners('request')).toEqual(before.request);
  });
});
