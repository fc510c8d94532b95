import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, protocolError, type ProtocolError } from '@org/ws-protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JobClientError } from '../src/index';
import { MAX_REQUESTS_IN_FLIGHT } from '../src/request-pacer';
import { isConnected, openClient, record, type RecordedClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer, startRawServer } from './support/misbehaving-server';
import { rejection } from './support/rejection';

installLeakCheck();

/** When set, the client's handshakes claim this protocol version instead of its own (see the mock below). */
const handshake = vi.hoisted(() => ({ protocolVersion: undefined as number | undefined }));

// Only the client uses socket.io-client here, so this changes what the client sends and nothing on the server side.
vi.mock('socket.io-client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('socket.io-client')>();
  const io = ((url: string, options: Parameters<typeof actual.io>[1]) => {
    const auth = options?.auth;
    if (handshake.protocolVersion === undefined || typeof auth !== 'object') return actual.io(url, options);
    return actual.io(url, { ...options, auth: { ...auth, protocolVersion: handshake.protocolVersion } });
  }) as typeof actual.io;
  return { ...actual, io };
});
afterEach(() => {
  handshake.protocolVersion = undefined;
});

/** Resolves once `ms` of wall time passed, polled by `vi.waitFor`: the window in which a retry would have happened. */
async function observe(ms: number): Promise<void> {
  const until = Date.now() + ms;
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThanOrEqual(until), { timeout: ms + 2000, interval: 10 });
}

/** A URL nothing listens on. */
async function deadUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise((resolve) => http.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function refuseWith(error: ProtocolError): Error {
  return Object.assign(new Error(error.message), { data: error });
}

describe('connect refusals', () => {
  it('stops retrying on UNSUPPORTED_PROTOCOL, ends open subscriptions with it and refuses new ones', async () => {
    const { io, url } = await startRawServer();
    let handshakes = 0;
    io.use((_socket, next) => {
      handshakes += 1;
      next(refuseWith(protocolError(ErrorCode.UNSUPPORTED_PROTOCOL, 'this server speaks protocol version 2')));
    });
    const { client, errors, until } = openClient({ url });
    const watched = record(client, 'job-1');
    const waited = rejection(client.waitFor('job-2'));
    const watching = client.watch('job-3');
    const gaveUp = await until((state) => state.status === 'disconnected' && state.reason === 'gave-up');
    expect(gaveUp).toMatchObject({ error: { name: 'JobClientError', code: 'UNSUPPORTED_PROTOCOL', message: 'this server speaks protocol version 2' } });
    expect(errors.map((e) => e.code)).toEqual(['UNSUPPORTED_PROTOCOL']);
    expect(handshakes).toBe(1);

    // Every open job ends with the typed error: handle outcome, waitFor rejection, watch() iterator.
    expect(watched.handle.outcome).toMatchObject({ kind: 'error', error: { code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-1' } });
    expect(watched.ends).toBe(1);
    expect(await waited).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-2' });
    await expect(watching.next()).rejects.toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-3' });

    // Later calls fail fast with the same error and do not restart the loop on their own.
    expect(() => client.subscribe('job-4')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-4' }));
    expect(() => client.watch('job-4')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_PROTOCOL' }));
    expect(await rejection(client.waitFor('job-4'))).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-4' });
    expect(client.state).toBe(gaveUp);
    expect(handshakes).toBe(1);
  });

  it('gives up on a real job server that speaks another protocol version, and retries nothing', async () => {
    handshake.protocolVersion = 2;
    const resource = await startJobServer();
    const reconnect = { initialDelayMs: 10, maxDelayMs: 40, minDelayMs: 5 };
    const { client, errors, states, until } = openClient({ url: resource.url, reconnect });
    const waited = rejection(client.waitFor('job-1'));
    const gaveUp = await until((state) => state.status === 'disconnected' && state.reason === 'gave-up');
    expect(gaveUp).toMatchObject({ error: { code: 'UNSUPPORTED_PROTOCOL', message: 'this server speaks protocol version 1, the client sent 2' } });
    expect(await waited).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-1' });

    // Well past the longest backoff delay, nothing else was tried.
    await observe(reconnect.maxDelayMs * 5);
    expect(resource.server.counters().refusedConnectionsByCode).toEqual({ UNSUPPORTED_PROTOCOL: 1 });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'disconnected']);
    expect(errors.map((e) => e.code)).toEqual(['UNSUPPORTED_PROTOCOL']);

    // connect() lifts the give-up: with a matching version the client gets in and subscribes again.
    handshake.protocolVersion = undefined;
    client.connect();
    await until(isConnected);
    const watched = record(client, 'job-1');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('job-1', { status: 'completed' });
    await vi.waitFor(() => expect(watched.seqs).toEqual([1]));
  });

  it('a state listener that calls connect() on gave-up gets a working client: the give-up is applied before listeners run', async () => {
    handshake.protocolVersion = 2;
    const resource = await startJobServer();
    const { client, until } = openClient({ url: resource.url });
    const waited = rejection(client.waitFor('job-1'));
    const offState = client.on('state', (state) => {
      if (state.status !== 'disconnected' || state.reason !== 'gave-up') return;
      offState();
      handshake.protocolVersion = undefined;
      client.connect();
    });
    expect(await waited).toMatchObject({ code: 'UNSUPPORTED_PROTOCOL', jobId: 'job-1' });
    await until(isConnected);

    // The restarted connection is not given up: subscribing works and updates arrive.
    const watched = record(client, 'job-2');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('job-2', { status: 'completed' });
    await vi.waitFor(() => expect(watched.seqs).toEqual([1]));
    expect(watched.handle.outcome).toMatchObject({ kind: 'terminal' });
  });

  it('backs off on UNAUTHORIZED without an auth option (the credential may be a cookie the page refreshes) and gets in once it is accepted', async () => {
    let handshakes = 0;
    const resource = await startJobServer({ authenticate: () => (++handshakes === 1 ? null : { user: 'u1' }) });
    const { errors, states, until } = openClient({ url: resource.url, reconnect: { initialDelayMs: 20, maxDelayMs: 40, minDelayMs: 10 } });
    await until(isConnected);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    expect(states.find((s) => s.status === 'reconnecting')).toMatchObject({ reason: 'connect-failed', error: { code: 'UNAUTHORIZED' } });
    expect(handshakes).toBe(2);
  });

  it('backs off on UNAUTHORIZED and sends a fresh token on the next attempt', async () => {
    const resource = await startJobServer({ authenticate: ({ auth }) => (auth.token === 'good' ? { user: 'u1' } : null) });
    const tokens = ['expired', 'good'];
    let calls = 0;
    const { errors, states, until } = openClient({ url: resource.url, auth: () => tokens[calls++] ?? 'good', reconnect: { initialDelayMs: 200, minDelayMs: 100 } });
    await until(isConnected);
    expect(calls).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    const retry = states.find((s) => s.status === 'reconnecting');
    expect(retry).toMatchObject({ reason: 'connect-failed', attempt: 1, error: { code: 'UNAUTHORIZED' } });
    expect(retry?.status === 'reconnecting' && retry.delayMs).toBeGreaterThanOrEqual(100);
  });

  it('gives up on UNAUTHORIZED with a fixed token (the next attempt could only send the same one), and its waits reject', async () => {
    const auth = 'revoked-token';
    let handshakes = 0;
    const resource = await startJobServer({
      authenticate: () => {
        handshakes += 1;
        return null;
      },
    });
    const { client, errors, until } = openClient({ url: resource.url, auth, reconnect: { initialDelayMs: 10, maxDelayMs: 40, minDelayMs: 5 } });
    const waited = rejection(client.waitFor('job-1'));
    const gaveUp = await until((state) => state.status === 'disconnected' && state.reason === 'gave-up');
    expect(gaveUp).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await waited).toMatchObject({ code: 'UNAUTHORIZED', jobId: 'job-1' });
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHORIZED']);
    expect(handshakes).toBe(1);
  });

  it('reports a failing (or non-string) auth function as UNAUTHORIZED and retries with backoff', async () => {
    const resource = await startJobServer();
    let calls = 0;
    const { errors, until } = openClient({
      url: resource.url,
      auth: async () => {
        calls += 1;
        if (calls === 1) throw new Error('token endpoint down');
        if (calls === 2) return undefined as unknown as string;
        return 'token';
      },
    });
    await until(isConnected);
    expect(errors).toMatchObject([
      { code: 'UNAUTHORIZED', cause: { message: 'token endpoint down' } },
      { code: 'UNAUTHORIZED', cause: { message: 'the auth function must return a string, got undefined' } },
    ]);
    expect(calls).toBe(3);
  });

  it('fails over to the next URL when one is unreachable', async () => {
    const resource = await startJobServer();
    const dead = await deadUrl();
    const { states, errors, until } = openClient({ urls: [dead, resource.url] });
    const connected = await until(isConnected);
    expect(connected.url).toBe(resource.url);
    expect(states[0]).toMatchObject({ status: 'connecting', url: dead });
    expect(states[1]).toMatchObject({ status: 'reconnecting', reason: 'connect-failed', error: { code: 'TRANSPORT_ERROR' } });
    expect(errors.map((e) => e.code)).toEqual(['TRANSPORT_ERROR']);
  });

  it('keeps backing off while the per-IP cap is full, then gets in', async () => {
    const resource = await startJobServer({ limits: { maxConnectionsPerIp: 1 } });
    const first = openClient({ url: resource.url });
    await first.until(isConnected);
    const second = openClient({ url: resource.url, reconnect: { initialDelayMs: 40, maxDelayMs: 160, minDelayMs: 20 } });
    await vi.waitFor(() => expect(second.errors.filter((e) => e.code === 'TOO_MANY_CONNECTIONS').length).toBeGreaterThanOrEqual(3));
    const retries = second.states.filter((s) => s.status === 'reconnecting');
    expect(retries.map((s) => s.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    await first.client.close();
    await second.until(isConnected);
  });

  it("backs off on the per-IP cap's early HTTP 403 to a long-polling handshake, never gives up, and each client gets in as a slot frees", async () => {
    const resource = await startJobServer({ limits: { maxConnectionsPerIp: 1 } });
    const holder = openClient({ url: resource.url });
    await holder.until(isConnected);
    // Three at once over long-polling (the default transports): while one is being refused, Engine.IO refuses the
    // others' handshakes with HTTP 403 before any state exists (PROTOCOL.md section 2).
    const waiting = [1, 2, 3].map(() => openClient({ url: resource.url, reconnect: { initialDelayMs: 20, maxDelayMs: 80, minDelayMs: 10 } }));
    const refusedByHttp = (error: JobClientError): boolean => (error.cause as { description?: unknown } | undefined)?.description === 403;
    await vi.waitFor(() => expect(waiting.flatMap((c) => c.errors).filter(refusedByHttp).length).toBeGreaterThanOrEqual(1), { timeout: 5000 });
    for (const error of waiting.flatMap((c) => c.errors).filter(refusedByHttp)) expect(error.code).toBe('TOO_MANY_CONNECTIONS');

    await holder.client.close();
    const admitted = new Set<RecordedClient>();
    for (let round = 0; round < waiting.length; round += 1) {
      const next = await Promise.race(waiting.filter((c) => !admitted.has(c)).map((c) => c.until(isConnected).then(() => c)));
      admitted.add(next);
      await next.client.close();
    }
    for (const c of waiting) {
      expect(c.states.some((state) => state.status === 'disconnected' && state.reason === 'gave-up')).toBe(false);
      expect(c.errors.map((e) => e.code)).not.toContain('FORBIDDEN');
    }
  });

  it('backs off, never retrying at once, when a handshake is refused with a code meant for requests (UNSUBSCRIBED)', async () => {
    const { io, url } = await startRawServer();
    io.use((_socket, next) => next(refuseWith(protocolError(ErrorCode.UNSUBSCRIBED, 'not a handshake refusal'))));
    const { errors, states } = openClient({ url, reconnect: { initialDelayMs: 40, maxDelayMs: 160, minDelayMs: 20 } });
    await vi.waitFor(() => expect(errors.filter((e) => e.code === 'UNSUBSCRIBED').length).toBeGreaterThanOrEqual(3));
    const delays = states.flatMap((s) => (s.status === 'reconnecting' ? [s.delayMs] : []));
    expect(delays.length).toBeGreaterThanOrEqual(3);
    for (const delayMs of delays) expect(delayMs).toBeGreaterThanOrEqual(20);
  });

  it('a refusal sent on a socket that is already connected counts as a lost connection: its jobs are asked for again on the next one', async () => {
    let connections = 0;
    const requests: string[] = [];
    const url = await startMisbehavingServer((socket) => {
      const connection = ++connections;
      socket.on('subscribe-job', (request: { jobId: string }, ack: (reply: unknown) => void) => {
        requests.push(`${connection}:${request.jobId}`);
        // The first connection leaves a full window of requests unanswered, then refuses the connected socket (a
        // Socket.IO CONNECT_ERROR packet): requests in flight on it must not count against the next connection.
        if (connection === 1) {
          if (requests.length === MAX_REQUESTS_IN_FLIGHT) socket.conn.write('4{"message":"refused late","data":{"code":"INTERNAL","message":"refused late"}}');
          return;
        }
        const snapshot = { jobId: request.jobId, epoch: 'e1', seq: 1, status: 'completed', progress: 100, at: Date.now() };
        ack({ ok: true, jobId: request.jobId, epoch: 'e1', snapshot, updates: [], resync: false });
      });
    });
    const { client } = openClient({ url, socketOptions: { transports: ['websocket'] }, ackTimeoutMs: 60_000 });
    const jobIds = Array.from({ length: MAX_REQUESTS_IN_FLIGHT + 1 }, (_, i) => `job-${i + 1}`);
    const outcomes = await Promise.all(jobIds.map((jobId) => client.waitFor(jobId)));
    expect(outcomes.map((update) => update.status)).toEqual(jobIds.map(() => 'completed'));
    expect(requests.filter((request) => request.startsWith('2:')).sort()).toEqual(jobIds.map((jobId) => `2:${jobId}`));
  });

  it('takes an attempt whose socket socket.io-client cannot even create as failed: TRANSPORT_ERROR, backoff, nothing thrown at the process', async () => {
    const resource = await startJobServer();
    // A transport class engine.io-client cannot use: it throws as the socket opens.
    class BrokenTransport {}
    const { errors, states } = openClient({ url: resource.url, socketOptions: { transports: [BrokenTransport as never] } });
    await vi.waitFor(() => expect(states.filter((s) => s.status === 'reconnecting').length).toBeGreaterThanOrEqual(2));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const error of errors) {
      expect(error.code).toBe('TRANSPORT_ERROR');
      expect(error.message).toContain('could not open a socket');
    }
    expect(resource.server.stats().connections).toBe(0);
  });

  it('waits at least the retryAfterMs of an OVERLOADED server, retries a refused subscribe, and gets in once it recovers', async () => {
    const resource = await startJobServer({ limits: { overload: { retryAfterMs: 100 } } });
    const inside = openClient({ url: resource.url, reconnect: { initialDelayMs: 5, maxDelayMs: 10, minDelayMs: 1 } });
    await inside.until(isConnected);
    resource.server.maintenance.startShedding('test');
    const refusedSubscribe = record(inside.client, 'job-1');
    const outside = openClient({ url: resource.url, reconnect: { initialDelayMs: 5, maxDelayMs: 10, minDelayMs: 1 } });
    await vi.waitFor(() => expect(outside.errors.filter((e) => e.code === 'OVERLOADED').length).toBeGreaterThanOrEqual(2));
    await vi.waitFor(() => expect(inside.errors.filter((e) => e.code === 'OVERLOADED').length).toBeGreaterThanOrEqual(2));
    // The backoff alone would retry within 10 ms; the server asked for 100-200 ms.
    const delays = outside.states.flatMap((s) => (s.status === 'reconnecting' ? [s.delayMs] : []));
    for (const delayMs of delays) expect(delayMs).toBeGreaterThanOrEqual(100);
    expect(refusedSubscribe.handle.outcome).toBeUndefined();

    resource.server.maintenance.stopShedding('test');
    await outside.until(isConnected);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('job-1', { status: 'completed' });
    await vi.waitFor(() => expect(refusedSubscribe.seqs).toEqual([1]));
  });
});
