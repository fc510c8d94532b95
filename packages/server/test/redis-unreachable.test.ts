import { createServer } from 'node:net';
import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { createJobPublisher, REDIS_UNAVAILABLE } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

/** A local port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

// Needs no Redis: it is about the one that is not there.
describe('a server whose Redis never answers', () => {
  it('serves its own connections, answers UNAVAILABLE where it needs Redis, reports why, and closes without waiting for Redis', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const { server, url: serverUrl } = await startJobServer({ redis: { url, keyPrefix: 'unreachable:' }, limits: { maxConnectionsPerIp: 2 } });
    const publisher = createJobPublisher({ redis: { url } });

    await vi.waitFor(() => expect(server.health()).toMatchObject({ status: 'degraded', reasons: [REDIS_UNAVAILABLE] }));
    const client = await connectClient(serverUrl);
    await connectClient(serverUrl);
    expect(await subscribe(client, { jobId: 'job-1' })).toMatchObject({ ok: false, error: { code: ErrorCode.UNAVAILABLE } });
    await expect(server.update('job-1', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(server.getJob('job-1')).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await expect(publisher.update('job-1', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    await vi.waitFor(() => expect(publisher.health()).toEqual({ status: 'degraded', reasons: [REDIS_UNAVAILABLE] }));
    // The per-IP cap still holds, on this node's own count.
    expect(server.stats()).toMatchObject({ connections: 2, connectionsByIp: 1 });
    await expect(connectClient(serverUrl)).rejects.toMatchObject({ data: { code: ErrorCode.TOO_MANY_CONNECTIONS } });

    // A deadline far past the test's own timeout, so close() cannot end by it: both clients acknowledged, and nothing
    // waited for the Redis that is not there (a command queued for it would hang here until the test times out).
    const order: string[] = [];
    server.on('disconnect', ({ reason }) => order.push(`disconnect:${reason}`));
    await server.close({ timeoutMs: 10 * 60_000 });
    order.push('server closed');
    await publisher.close();
    order.push('publisher closed');
    expect(order).toEqual(['disconnect:shutdown', 'disconnect:shutdown', 'server closed', 'publisher closed']);
    expect(server.stats()).toEqual(ZERO_STATS);
  });
});
