import { createServer } from 'node:http';
import { ErrorCode, type ProtocolError } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { MemoryJobStore } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, connectRefused, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

/** A close() deadline no test waits for (ten minutes). */
const SHUTDOWN_DEADLINE_MS = 10 * 60_000;

/** Records, per client, the order in which the notice and the disconnect arrived. */
function recordOrder(client: TestClient, log: string[]): void {
  client.socket.on('server-timeout-notice', (notice) => log.push(`notice:${notice.reason}`));
  client.socket.on('disconnect', () => log.push('disconnect'));
}

describe('graceful shutdown', () => {
  it('sends every client a shutdown notice before its socket closes, with reconnect delays spread over the window', async () => {
    const { server, url } = await startJobServer({ shutdown: { retryWindowMs: 9000 } });
    const clients = await Promise.all([connectClient(url), connectClient(url), connectClient(url)]);
    const logs = clients.map(() => [] as string[]);
    clients.forEach((client, i) => recordOrder(client, logs[i]!));
    await Promise.all(clients.map((client) => subscribe(client, { jobId: 'deploy' })));

    const serverLog: string[] = [];
    server.on('notice', ({ notice }) => serverLog.push(`notice:${notice.reason}`));
    server.on('disconnect', ({ reason }) => serverLog.push(`disconnect:${reason}`));
    // A deadline far past the test's own timeout: close() can only have resolved because every client acknowledged.
    await server.close({ timeoutMs: SHUTDOWN_DEADLINE_MS });
    serverLog.push('closed');
    expect(serverLog).toEqual([...clients.map(() => 'notice:shutdown'), ...clients.map(() => 'disconnect:shutdown'), 'closed']);

    await vi.waitFor(() => expect(logs).toEqual([0, 1, 2].map(() => ['notice:shutdown', 'disconnect'])));
    const notices = clients.map((client) => client.notices[0]!);
    expect(notices.every((notice) => notice.reason === 'shutdown' && notice.reconnect && notice.graceMs === SHUTDOWN_DEADLINE_MS)).toBe(true);
    expect(notices.map((notice) => notice.retryAfterMs).sort((a, b) => a! - b!)).toEqual([0, 3000, 6000]);
    expect(server.stats()).toEqual(ZERO_STATS);
    expect(server.health().status).toBe('shutting-down');
  });

  it('waits for the deadline when a client does not acknowledge, then disconnects it', async () => {
    const { server, url } = await startJobServer();
    const deaf = await connectClient(url, { answerNotices: false });
    const polite = await connectClient(url);
    const closing = server.close({ timeoutMs: 300 });
    await vi.waitFor(() => expect(polite.socket.connected).toBe(false));
    expect(deaf.socket.connected).toBe(true);
    // The shutdown deadline and the notice deadline.
    expect(server.stats()).toMatchObject({ connections: 1, pendingAcks: 1, timers: 2 });
    await closing;
    await vi.waitFor(() => expect(deaf.socket.connected).toBe(false));
    expect(deaf.notices).toHaveLength(1);
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('refuses new connections with SHUTTING_DOWN while closing, and updates after close', async () => {
    const { server, url } = await startJobServer();
    await connectClient(url, { answerNotices: false });
    const closing = server.close({ timeoutMs: 500 });
    expect(await connectRefused(url)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, retryAfterMs: 0 });
    await closing;
    await expect(server.update('late', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.SHUTTING_DOWN });
  });

  it('refuses an update that arrives while it closes the store it created, which would otherwise stay after close', async () => {
    const { server } = await startJobServer();
    await server.update('before', { status: 'running' });
    const closeStore = MemoryJobStore.prototype.close;
    let late: Promise<unknown> | undefined;
    const spy = vi.spyOn(MemoryJobStore.prototype, 'close').mockImplementation(async function (this: MemoryJobStore) {
      await closeStore.call(this);
      // The microtasks between the store's close and the end of close(): what an application awaiting in a loop reaches.
      late = server.update('late', { status: 'running' });
    });
    await server.close({ timeoutMs: 0 });
    spy.mockRestore();
    await expect(late).rejects.toMatchObject({ code: ErrorCode.SHUTTING_DOWN });
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('spreads the retryAfterMs of refused handshakes over the retry window, like the shutdown notices', async () => {
    const { server, url } = await startJobServer({ shutdown: { retryWindowMs: 1600 } });
    await connectClient(url, { answerNotices: false });
    const closing = server.close({ timeoutMs: 1000 });
    const refusals: ProtocolError[] = [];
    for (let index = 0; index < 4; index += 1) refusals.push(await connectRefused(url));
    expect(refusals.map((refusal) => refusal.code)).toEqual(Array(4).fill(ErrorCode.SHUTTING_DOWN));
    expect(refusals.map((refusal) => refusal.retryAfterMs)).toEqual([0, 100, 200, 300]);
    await closing;
  });

  it('is idempotent', async () => {
    const { server, url } = await startJobServer();
    await connectClient(url);
    const first = server.close({ timeoutMs: 1000 });
    expect(server.close()).toBe(first);
    await first;
    await server.close();
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('restarts on the same port and serves a client that resubscribes with lastSeq', async () => {
    const resource = await startJobServer();
    const client = await connectClient(resource.url);
    await subscribe(client, { jobId: 'survivor' });
    await resource.server.update('survivor', { status: 'running', progress: 10 });
    await resource.restart();
    await vi.waitFor(() => expect(client.socket.connected).toBe(false));
    expect(client.notices.map((notice) => notice.reason)).toEqual(['shutdown']);

    await resource.server.update('survivor', { status: 'running', progress: 20 });
    const again = await connectClient(resource.url);
    // The in-memory store died with the old process, so seq restarted: the client is told to resync.
    expect(await subscribe(again, { jobId: 'survivor', lastSeq: 5 })).toMatchObject({ ok: true, resync: true, snapshot: { seq: 1, progress: 20 } });
  });

  it.each(['its own', "the application's"])('ends a long-polling client at once with %s HTTP server: no Engine.IO session or timer left after close()', async (owner) => {
    const httpServer = owner === 'its own' ? undefined : createServer((_request, response) => response.end('app'));
    if (httpServer) await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const { server, url } = await startJobServer(httpServer ? { httpServer } : {});
    const client = await connectClient(url, { transports: ['polling'] });
    expect(await subscribe(client, { jobId: 'polled' })).toMatchObject({ ok: true });
    await server.close({ timeoutMs: 500 });
    expect(server.stats()).toEqual(ZERO_STATS);
    // Engine.IO's graceful close of a polling transport would wait 30 s for one more poll, with a ping and a close timer.
    expect(server.io.engine.clientsCount).toBe(0);
    if (httpServer) {
      httpServer.closeAllConnections();
      await new Promise((resolve) => httpServer.close(resolve));
    }
  });

  it('leaves a store passed in options open, so a restarted server replays from it and seq goes on', async () => {
    const store = new MemoryJobStore();
    const resource = await startJobServer({ store });
    await resource.server.update('kept', { status: 'running', progress: 10 });
    await resource.restart();

    await resource.server.update('kept', { status: 'running', progress: 20 });
    const client = await connectClient(resource.url);
    expect(await subscribe(client, { jobId: 'kept', lastSeq: 1 })).toMatchObject({
      ok: true,
      resync: false,
      updates: [{ seq: 2, progress: 20 }],
    });
    await resource.close();
    expect(store.size()).toBe(1);
    // The closed server holds nothing, whatever the application's store still keeps.
    expect(resource.server.stats()).toEqual(ZERO_STATS);
    // The application owns the store, so it is the one that releases it.
    await store.close();
    expect(store.size()).toBe(0);
  });
});
