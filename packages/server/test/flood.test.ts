import { ErrorCode, type JobUpdate, type SubscribeJobAck } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

const RATE_LIMIT = { events: 20, windowMs: 1000, abuseStrikes: 20 } as const;
const FLOOD_EVENTS = 10 * RATE_LIMIT.events;
const CHUNK = 10;

/** Records the seq of every update a client receives. */
function recordUpdates(client: TestClient): number[] {
  const seqs: number[] = [];
  client.socket.on('job-update', (update: JobUpdate) => seqs.push(update.seq));
  return seqs;
}

describe('event flood', () => {
  it('throttles a socket sending 10× the rate limit, then cuts it off, while other clients keep receiving', async () => {
    const { server, url } = await startJobServer({ limits: { rateLimit: RATE_LIMIT } });
    const watchers = await Promise.all([connectClient(url), connectClient(url), connectClient(url)]);
    for (const watcher of watchers) expect(await subscribe(watcher, { jobId: 'steady' })).toMatchObject({ ok: true });
    const received = watchers.map(recordUpdates);

    const flooder = await connectClient(url);
    const replies: SubscribeJobAck[] = [];
    let published = 0;
    for (let sent = 0; sent < FLOOD_EVENTS && flooder.socket.connected; sent += CHUNK) {
      for (let i = sent; i < sent + CHUNK; i += 1) {
        flooder.socket.emit('subscribe-job', { jobId: `flood-${i}` }, (reply) => replies.push(reply));
      }
      await server.update('steady', { status: 'running', progress: published });
      published += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await vi.waitFor(() => expect(flooder.disconnectReasons).toEqual(['io server disconnect']));
    // Delivery goes on after the flooder is gone.
    for (let i = 0; i < 5; i += 1) {
      await server.update('steady', { status: 'running', progress: published });
      published += 1;
    }
    await server.update('steady', { status: 'completed', progress: 100 });
    published += 1;

    // Throttled: typed refusals with a retry delay, before being cut off with a notice.
    const refused = replies.filter((reply) => !reply.ok);
    expect(refused.length).toBeGreaterThanOrEqual(RATE_LIMIT.abuseStrikes);
    for (const reply of refused) {
      expect(reply).toEqual({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: expect.any(String), retryAfterMs: expect.any(Number) } });
    }
    expect(replies.filter((reply) => reply.ok).length).toBeLessThan(FLOOD_EVENTS / 2);
    expect(flooder.notices.map((notice) => notice.reason)).toEqual(['rate-limited']);

    // The others got every update, in order, and were never throttled or told to leave.
    const expected = Array.from({ length: published }, (_, index) => index + 1);
    for (const seqs of received) await vi.waitFor(() => expect(seqs).toEqual(expected));
    for (const watcher of watchers) {
      expect(watcher.socket.connected).toBe(true);
      expect(watcher.notices).toEqual([]);
    }
    expect(server.stats()).toMatchObject({ connections: 3, connectionsByIp: 1, subscriptions: 3, pendingAcks: 0 });

    // The flooder's records went with it; once the watchers leave too, nothing is left (checked before close()).
    for (const watcher of watchers) watcher.socket.disconnect();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, watchedJobs: 0, rateLimitRecords: 0, pendingAcks: 0 }));
  });
});
