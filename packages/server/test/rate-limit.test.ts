import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

describe('event rate limit', () => {
  it('answers a flood with RATE_LIMITED and retryAfterMs, then a rate-limited notice and a disconnect', async () => {
    const { server, url } = await startJobServer({ limits: { rateLimit: { events: 5, windowMs: 60_000, abuseStrikes: 3 } } });
    const client = await connectClient(url);

    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => subscribe(client, { jobId: `flood-${i}` })));
    expect(replies.slice(0, 5).every((reply) => reply.ok)).toBe(true);
    for (const reply of replies.slice(5)) {
      expect(reply).toEqual({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: expect.any(String), retryAfterMs: expect.any(Number) } });
    }
    await vi.waitFor(() => expect(client.disconnectReasons).toEqual(['io server disconnect']));
    expect(client.notices).toEqual([{ reason: 'rate-limited', graceMs: 5000, reconnect: true, retryAfterMs: expect.any(Number) }]);
    expect(client.notices[0]!.retryAfterMs).toBeGreaterThan(0);
    expect(server.counters()).toMatchObject({ rateLimited: 3, noticesSent: 1 });
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, rateLimitRecords: 0, pendingAcks: 0 });
  });

  it('limits each socket on its own', async () => {
    const { url } = await startJobServer({ limits: { rateLimit: { events: 2, windowMs: 60_000, abuseStrikes: 10 } } });
    const noisy = await connectClient(url);
    const quiet = await connectClient(url);
    await Promise.all([subscribe(noisy, { jobId: 'a' }), subscribe(noisy, { jobId: 'b' })]);
    expect(await subscribe(noisy, { jobId: 'c' })).toMatchObject({ ok: false, error: { code: ErrorCode.RATE_LIMITED } });
    expect(await subscribe(quiet, { jobId: 'c' })).toMatchObject({ ok: true });
  });
});
