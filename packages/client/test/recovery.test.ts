import { PROTOCOL_VERSION } from '@org/ws-protocol';
import { io } from 'socket.io-client';
import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient, record } from './support/job-client-resource';
import { createSharedJobStore, startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck, trackClosable } from './support/leak-check';

installLeakCheck();

const JOB = 'render-42';

async function publish(resource: JobServerResource, seqs: number, status: 'running' | 'completed' = 'running'): Promise<void> {
  for (let i = 0; i < seqs; i += 1) await resource.server.update(JOB, { status, progress: 50 });
}

function killTransports(resource: JobServerResource, how: 'transport' | 'server-disconnect'): void {
  for (const socket of resource.server.io.sockets.sockets.values()) {
    if (how === 'transport') socket.conn.close();
    else socket.disconnect(true);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('recovery: every job outcome arrives exactly once', () => {
  it('delivers every update after a server restart on the same port, and the terminal once', async () => {
    const shared = createSharedJobStore();
    const resource = await startJobServer({ store: shared.store, shutdown: { retryWindowMs: 0 } });
    const { client, states, until } = openClient({ url: resource.url, random: () => 0.5 });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 3);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2, 3]));

    // A long close deadline: the restart only finishes quickly because the client acknowledges the shutdown notice.
    await resource.restart({ timeoutMs: 30_000 });
    await publish(resource, 2);
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));
    await publish(resource, 1);
    await resource.server.update(JOB, { status: 'completed', progress: 100 });

    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual(range(1, 7));
    expect(watched.handle.outcome).toMatchObject({ kind: 'terminal', update: { seq: 7, status: 'completed' } });
    expect(states).toContainEqual(expect.objectContaining({ status: 'reconnecting', reason: 'shutdown' }));
    // After the terminal update the client releases the server-side subscription.
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
  });

  it('follows a job into its new life when a restarted in-memory server lost its history', async () => {
    const resource = await startJobServer({ shutdown: { retryWindowMs: 0 } });
    const { client, states, until } = openClient({ url: resource.url });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 3);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2, 3]));

    await resource.restart();
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 1);
    await resource.server.update(JOB, { status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual([1, 2, 3, 1, 2]);
  });

  it('survives the transport being killed from the server side several times during a job', async () => {
    const resource = await startJobServer();
    const { client, states, until } = openClient({ url: resource.url });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 2);

    killTransports(resource, 'transport');
    await publish(resource, 2);
    await vi.waitFor(() => expect(watched.seqs.at(-1)).toBe(4));

    killTransports(resource, 'server-disconnect');
    await publish(resource, 1);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    killTransports(resource, 'transport');
    await publish(resource, 1);
    await resource.server.update(JOB, { status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual(range(1, 7));

    // A job that ended is not resubscribed: another drop brings nothing twice.
    const reconnectsBefore = states.filter((s) => s.status === 'reconnecting').length;
    killTransports(resource, 'transport');
    await until((state) => state.status === 'connected' && states.filter((s) => s.status === 'reconnecting').length > reconnectsBefore);
    expect(watched.seqs).toEqual(range(1, 7));
    expect(watched.ends).toBe(1);
    expect(states.filter((s) => s.status === 'reconnecting').length).toBeGreaterThanOrEqual(4);
    expect(resource.server.stats().subscriptions).toBe(0);
  });

  it('resyncs from the snapshot when the missed updates left the server buffer, with no duplicate terminal', async () => {
    const resource = await startJobServer({ jobs: { bufferSize: 5 }, limits: { maxConnectionsPerIp: 1 } });
    const { client, states, errors, until } = openClient({
      url: resource.url,
      reconnect: { initialDelayMs: 300, maxDelayMs: 300, minDelayMs: 300 },
      random: () => 0.5,
    });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 2);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2]));

    // Drop the client and take its connection slot, so it is refused while the job moves on.
    killTransports(resource, 'server-disconnect');
    const blocker = io(resource.url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { protocolVersion: PROTOCOL_VERSION } });
    trackClosable(() => blocker.close());
    await new Promise<void>((resolve) => blocker.once('connect', () => resolve()));
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toContain('TOO_MANY_CONNECTIONS'));
    await publish(resource, 10);

    blocker.close();
    await until(isConnected);
    await vi.waitFor(() => expect(watched.seqs.at(-1)).toBe(12));
    await resource.server.update(JOB, { status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));

    expect(watched.seqs).toEqual([1, 2, 12, 13]);
    const retries = states.filter((s) => s.status === 'reconnecting');
    expect(retries).toContainEqual(expect.objectContaining({ reason: 'connect-failed', error: expect.objectContaining({ code: 'TOO_MANY_CONNECTIONS' }) }));
    // Refusals back off: never a retry sooner than the configured floor.
    for (const retry of retries) expect(retry.delayMs).toBeGreaterThanOrEqual(300);
  });
});
