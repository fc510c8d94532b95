import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { startChild, stopAllChildren, type ChildResource } from './support/redis-child-process';
import type { SilentClientsConfig } from './support/silent-clients-process';
import { openStalledUpgradeProbe } from './support/stalled-upgrade-probe';
import type { SubscribedClientConfig } from './support/subscribed-client-process';

installLeakCheck();

/**
 * How far past its deadline `close()` may resolve here. Past the deadline it only disconnects what is left and closes
 * its transport, waiting for no client: tens of ms per hundred connections on an idle core. A loaded 2-core machine
 * runs that (and fires the deadline timer) a few hundred ms late; a client that could hold the close would take 30 s.
 */
const SCHEDULING_SLACK_MS = 500;
const CLIENTS = 100;

const frozen: ChildResource[] = [];
const stalled: Socket[] = [];
afterEach(async () => {
  for (const socket of stalled.splice(0)) socket.destroy();
  for (const child of frozen.splice(0)) child.process.kill('SIGCONT');
  await stopAllChildren();
});

/** A raw TCP connection to `port` that writes `text` once connected; what it reads, and whether the server closed it. */
async function rawConnection(port: number, text: string): Promise<{ socket: Socket; read: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  stalled.push(socket);
  let read = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (read += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (text) socket.write(text);
  return { socket, read: () => read, closed };
}

/** Milliseconds `work` took. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const startedAt = performance.now();
  await work();
  return performance.now() - startedAt;
}

describe('close() deadline', () => {
  it(`resolves right after its deadline with ${CLIENTS} clients that never acknowledge the shutdown notice`, async () => {
    const { server, url } = await startJobServer();
    // The clients live in their own process, so that their work does not delay the server's.
    const clients = await startChild('silent-clients-process.ts', { url, count: CLIENTS } satisfies SilentClientsConfig);
    await clients.event('ready', 20_000);
    expect(server.stats()).toMatchObject({ connections: CLIENTS, subscriptions: CLIENTS });

    const timeoutMs = 500;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    expect(server.counters().noticesSent).toBe(CLIENTS);
    expect(await clients.request('noticed')).toBe(CLIENTS);
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('is not held past its deadline by a client that stopped reading (frozen with SIGSTOP, it never answers the WebSocket close)', async () => {
    const { server, url } = await startJobServer();
    const zombie = await startChild('subscribed-client-process.ts', { url, jobId: 'frozen' } satisfies SubscribedClientConfig);
    await zombie.event('subscribed');
    zombie.process.kill('SIGSTOP');
    frozen.push(zombie);

    const timeoutMs = 300;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('is not held past its deadline by HTTP connections that are no Socket.IO client (idle, half a request, a body never finished); any other path is answered 404', async () => {
    const { server, port } = await startJobServer();
    const pageRequest = await rawConnection(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await vi.waitFor(() => expect(pageRequest.read()).toMatch(/^HTTP\/1\.1 404 /));
    const held = [
      pageRequest,
      await rawConnection(port, ''),
      await rawConnection(port, 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n'),
      await rawConnection(port, 'POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n4'),
    ];
    const httpServer = server.io.httpServer;
    await vi.waitFor(async () => expect(await new Promise((resolve) => httpServer.getConnections((_, count) => resolve(count)))).toBe(held.length));

    const timeoutMs = 100;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    await Promise.all(held.map((connection) => connection.closed));
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it('is not held past its deadline by a WebSocket upgrade that was probed but never completed (and never answers the WebSocket close)', async () => {
    const { server, url } = await startJobServer();
    const probe = await openStalledUpgradeProbe(url);
    stalled.push(probe.socket);

    const timeoutMs = 300;
    const tookMs = await timed(() => server.close({ timeoutMs }));
    expect(tookMs).toBeLessThan(timeoutMs + SCHEDULING_SLACK_MS);
    await probe.closed;
    expect(server.stats()).toEqual(ZERO_STATS);
  });
});
