import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

const CYCLES = 1000;
const CONCURRENCY = 20;

describe('connection lifecycle leaks', () => {
  it(`leaves every registry at zero after ${CYCLES} connect → subscribe → disconnect cycles`, { timeout: 60_000 }, async () => {
    const { server, url } = await startJobServer();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < CYCLES) {
        const cycle = next;
        next += 1;
        const client = await connectClient(url);
        const reply = await subscribe(client, { jobId: `job-${cycle % 50}` });
        expect(reply.ok).toBe(true);
        await server.update(`job-${cycle % 50}`, { status: 'running', progress: cycle % 100 });
        client.socket.disconnect();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, rateLimitRecords: 0, pendingAcks: 0 }));
    expect(server.stats()).toEqual({ ...ZERO_STATS, jobs: 50, timers: 2 });
    expect(server.io.of('/').adapter.rooms.size).toBe(0);
    expect(server.io.engine.clientsCount).toBe(0);
  });

  it('cleans up a connection dropped by a transport error like any other', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    await subscribe(client, { jobId: 'j' });
    // Kill the TCP connection under Socket.IO, as a network failure would.
    server.io.sockets.sockets.get(client.socket.id!)!.conn.transport.close();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, connectionsByIp: 0 }));
  });
});
