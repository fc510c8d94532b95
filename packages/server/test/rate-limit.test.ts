import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { openRawEngineAccepted } from './support/raw-engine-client';
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

  it('goes on with the same bucket when a client reconnects its namespace on the same transport', async () => {
    const { server, url } = await startJobServer({ limits: { rateLimit: { events: 3, windowMs: 60_000, abuseStrikes: 100 } } });
    const raw = await openRawEngineAccepted(url);
    const connects = (): number => raw.messages.filter((text) => text.startsWith('40')).length;
    const replyTo = (ack: number): Promise<string> => raw.nextMessage((text) => text.startsWith(`43${ack}[`));
    raw.send('40{"protocolVersion":1}');
    await vi.waitFor(() => expect(connects()).toBe(1));
    for (let ack = 0; ack < 3; ack += 1) raw.send(`42${ack}["subscribe-job",{"jobId":"job-${ack}"}]`);
    for (let ack = 0; ack < 3; ack += 1) expect(await replyTo(ack)).toContain('"ok":true');
    // The namespace's disconnect, then a new connection on the same transport.
    raw.send('41');
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
    raw.send('40{"protocolVersion":1}');
    await vi.waitFor(() => expect(connects()).toBe(2));
    raw.send('4210["subscribe-job",{"jobId":"job-again"}]');
    expect(await replyTo(10)).toContain(`"code":"${ErrorCode.RATE_LIMITED}"`);
    expect(server.stats().rateLimitRecords).toBe(1);
    raw.close();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, rateLimitRecords: 0 }));
  });
});
