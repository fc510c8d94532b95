import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Socket } from 'socket.io';
import { describe, expect, it, vi } from 'vitest';
import type { JobIoServer } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, createTestClient, subscribe } from './support/test-client';

installLeakCheck();

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until `ref` is cleared, for a bounded number of rounds. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let round = 0; round < 20 && ref.deref() !== undefined; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return ref.deref() === undefined;
}

function weakServerSocket(io: JobIoServer, id: string): WeakRef<Socket> {
  return new WeakRef(io.sockets.sockets.get(id)!);
}

function pendingSocketIoAcks(ref: WeakRef<Socket>): number {
  return (ref.deref() as unknown as { acks: Map<number, unknown> }).acks.size;
}

describe('pending acknowledgements', () => {
  it('lets a client that never answers heartbeats leave nothing behind, not even in Socket.IO ack maps', async () => {
    const { server, url } = await startJobServer({ heartbeat: { intervalMs: 40, timeoutMs: 300 } });
    const mute = await connectClient(url, { answerHeartbeats: false, answerNotices: false });
    // Read through a helper so that no local of this async function keeps the socket reachable.
    const ref = weakServerSocket(server.io, mute.socket.id!);
    await vi.waitFor(() => expect(server.stats().pendingAcks).toBe(1));
    // The unanswered probe sits in Socket.IO's own per-socket ack map too.
    expect(pendingSocketIoAcks(ref)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(mute.socket.connected).toBe(false));
    expect(server.stats()).toMatchObject({ connections: 0, pendingAcks: 0 });
    expect(server.counters().heartbeatTimeouts).toBe(1);
    expect(await collected(ref)).toBe(true);
  });

  it('lets a client that never acknowledges a notice leave nothing behind, not even in Socket.IO ack maps', async () => {
    const { server, url } = await startJobServer({
      session: { noticeGraceMs: 100 },
      limits: { rateLimit: { events: 1, windowMs: 60_000, abuseStrikes: 1 } },
    });
    const deaf = await connectClient(url, { answerNotices: false });
    const ref = weakServerSocket(server.io, deaf.socket.id!);
    expect(await subscribe(deaf, { jobId: 'allowed' })).toMatchObject({ ok: true });
    // The one refused event is the strike that earns the rate-limited notice, which the client never acknowledges.
    expect(await subscribe(deaf, { jobId: 'refused' })).toMatchObject({ ok: false });
    await vi.waitFor(() => expect(deaf.notices.map((notice) => notice.reason)).toEqual(['rate-limited']));
    expect(server.stats()).toMatchObject({ pendingNotices: 1, pendingHeartbeats: 0 });
    // The unanswered notice sits in Socket.IO's own per-socket ack map too.
    expect(pendingSocketIoAcks(ref)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(deaf.socket.connected).toBe(false));
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, rateLimitRecords: 0, pendingNotices: 0, pendingAcks: 0 });
    expect(server.counters().noticesSent).toBe(1);
    expect(await collected(ref)).toBe(true);
  });

  it('keeps at most one pending heartbeat per connection however long the client stays silent', async () => {
    const { server, url } = await startJobServer({ heartbeat: { intervalMs: 20, timeoutMs: 200 } });
    const mute = createTestClient(url, { answerHeartbeats: false });
    const probes: number[] = [];
    mute.socket.on('heartbeat', ({ ts }) => probes.push(ts));
    mute.socket.connect();
    // The welcome heartbeat, then one probe that stays pending until the timeout: no second probe.
    await vi.waitFor(() => expect(probes).toHaveLength(2));
    await vi.waitFor(() => expect(mute.socket.connected).toBe(false));
    expect(probes).toHaveLength(2);
    expect(server.stats().pendingAcks).toBe(0);
  });
});
