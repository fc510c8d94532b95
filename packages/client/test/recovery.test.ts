import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { PROTOCOL_VERSION } from '@org/ws-protocol';
import { createJobServer, type JobServer, type JobStore } from '@org/ws-server';
import { io, type Socket } from 'socket.io-client';
import { describe, expect, it, vi } from 'vitest';
import type { JobClientError } from '../src/index';
import { isConnected, openClient, record } from './support/job-client-resource';
import { createSharedJobStore, startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck, trackClosable, trackServer, trackTeardown } from './support/leak-check';
import { rejection } from './support/rejection';

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

/** A job server on an HTTP server of the test's own, whose TCP connections the test can cut like a crash would. */
interface CrashableJobServer {
  readonly server: JobServer;
  readonly port: number;
  /** Stops accepting, destroys every TCP connection (no shutdown notice), then closes the emptied job server. */
  crash(): Promise<void>;
}

async function startCrashableJobServer(store: JobStore, port = 0): Promise<CrashableJobServer> {
  const http: HttpServer = createServer();
  const connections = new Set<TcpSocket>();
  http.on('connection', (connection) => {
    connections.add(connection);
    connection.once('close', () => connections.delete(connection));
  });
  const closed = new Promise<void>((resolve) => http.once('close', () => resolve()));
  trackTeardown(() => {
    if (http.listening) http.close();
    return closed;
  });
  const server = createJobServer({ httpServer: http, store });
  trackServer(server);
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  return {
    server,
    port: (http.address() as AddressInfo).port,
    async crash() {
      http.close();
      for (const connection of connections) connection.destroy();
      await vi.waitFor(() => expect(server.stats().connections).toBe(0));
      await server.close({ timeoutMs: 500 });
      await closed;
    },
  };
}

/**
 * Drops the client and takes the server's only connection slot (`maxConnectionsPerIp: 1`), so that the
 * client's reconnects are refused while the test moves the job on; close the returned socket to let it back.
 */
async function lockOut(resource: JobServerResource, errors: readonly JobClientError[]): Promise<Socket> {
  killTransports(resource, 'server-disconnect');
  const blocker = io(resource.url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { protocolVersion: PROTOCOL_VERSION } });
  trackClosable(() => blocker.close());
  await new Promise<void>((resolve) => blocker.once('connect', () => resolve()));
  await vi.waitFor(() => expect(errors.map((e) => e.code)).toContain('TOO_MANY_CONNECTIONS'));
  return blocker;
}

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

  it('follows a job into its new life when a restarted in-memory server started it over before the client came back', async () => {
    // Handshakes wait on this gate, so the new life begins while the client is still outside.
    let gate: Promise<void> = Promise.resolve();
    const resource = await startJobServer({
      shutdown: { retryWindowMs: 0 },
      authenticate: async () => {
        await gate;
        return { user: 'u1' };
      },
    });
    const { client, states, until } = openClient({ url: resource.url });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 3);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2, 3]));

    let open!: () => void;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    await resource.restart();
    await publish(resource, 1);
    open();
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2, 3, 1]));
    await resource.server.update(JOB, { status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual([1, 2, 3, 1, 2]);
  });

  it('ends the job expired (reason gone, JOB_EXPIRED for waitFor) when a restarted in-memory server no longer has it', async () => {
    const resource = await startJobServer({ shutdown: { retryWindowMs: 0 } });
    const { client, errors } = openClient({ url: resource.url });
    const watched = record(client, JOB);
    const waited = rejection(client.waitFor(JOB));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 2);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2]));

    await resource.restart();
    expect(await waited).toMatchObject({ code: 'JOB_EXPIRED', jobId: JOB, expired: { kind: 'expired', reason: 'gone', lastSeq: 2 } });
    expect(watched.handle.outcome).toEqual({ kind: 'expired', reason: 'gone', lastSeq: 2 });
    // How a job ended is its outcome; the client's error event is for connection and request problems.
    expect(errors.filter((error) => error.jobId === JOB)).toEqual([]);
    // The client lets go of the server subscription; a later life of the id is not mixed into the ended one.
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));
    await publish(resource, 1);
    expect(watched.seqs).toEqual([1, 2]);
    expect(watched.ends).toBe(1);
  });

  it('rejects waitFor with JOB_EXPIRED when the finished job was purged during an outage', async () => {
    const shared = createSharedJobStore();
    const resource = await startJobServer({ store: shared.store, shutdown: { retryWindowMs: 0 } });
    const { client, until } = openClient({ url: resource.url });
    const waited = rejection(client.waitFor(JOB));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 2);

    await resource.stop();
    await until((state) => state.status === 'reconnecting');
    // While no server runs, a worker finishes the job and retention purges it: the client never sees either.
    await shared.store.append(JOB, { status: 'completed' }, Date.now());
    await expect(shared.store.delete(JOB)).resolves.toBe(true);
    await resource.start();
    expect(await waited).toMatchObject({ code: 'JOB_EXPIRED', jobId: JOB });
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
    const blocker = await lockOut(resource, errors);
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

  it('delivers a terminal status reached while locked out beyond the buffer exactly once, from the resync snapshot', async () => {
    const resource = await startJobServer({ jobs: { bufferSize: 5 }, limits: { maxConnectionsPerIp: 1 } });
    const { client, states, errors, until } = openClient({ url: resource.url, reconnect: { initialDelayMs: 100, maxDelayMs: 100, minDelayMs: 100 } });
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await publish(resource, 2);
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2]));

    const blocker = await lockOut(resource, errors);
    await publish(resource, 10);
    await resource.server.update(JOB, { status: 'completed', progress: 100 });

    blocker.close();
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual([1, 2, 13]);
    expect(watched.handle.outcome).toMatchObject({ kind: 'terminal', update: { seq: 13, status: 'completed' } });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(0));

    // Another drop: the ended job is not resubscribed and nothing arrives again.
    const connectedBefore = states.filter(isConnected).length;
    killTransports(resource, 'server-disconnect');
    await until((state) => state.status === 'connected' && states.filter(isConnected).length > connectedBefore);
    expect(resource.server.stats().subscriptions).toBe(0);
    expect(watched.seqs).toEqual([1, 2, 13]);
    expect(watched.ends).toBe(1);
  });

  it('continues a job after the server died without a notice and restarted on the same port with the same store', async () => {
    const shared = createSharedJobStore();
    const first = await startCrashableJobServer(shared.store);
    const { client, states, until } = openClient({ url: `http://127.0.0.1:${first.port}`, random: () => 0.5 });
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.reason));
    const watched = record(client, JOB);
    await vi.waitFor(() => expect(first.server.stats().subscriptions).toBe(1));
    for (let i = 0; i < 2; i += 1) await first.server.update(JOB, { status: 'running', progress: 20 });
    await vi.waitFor(() => expect(watched.seqs).toEqual([1, 2]));

    await first.crash();
    await until((state) => state.status === 'reconnecting');
    const second = await startCrashableJobServer(shared.store, first.port);
    await second.server.update(JOB, { status: 'running', progress: 40 });
    await until(isConnected);
    await vi.waitFor(() => expect(second.server.stats().subscriptions).toBe(1));
    await second.server.update(JOB, { status: 'running', progress: 60 });
    await second.server.update(JOB, { status: 'completed', progress: 100 });

    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual(range(1, 5));
    expect(watched.handle.outcome).toMatchObject({ kind: 'terminal', update: { seq: 5, status: 'completed' } });
    expect(notices).toEqual([]);
    expect(states.find((s) => s.status === 'reconnecting')).toMatchObject({ reason: 'connection-lost' });
    await vi.waitFor(() => expect(second.server.stats().subscriptions).toBe(0));
  });
});
