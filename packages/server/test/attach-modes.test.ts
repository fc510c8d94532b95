import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from '@org/ws-protocol';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJobServer, type JobIoServer } from '../src/index';
import { installLeakCheck, trackServers, ZERO_STATS } from './support/leak-check';
import { httpRequest } from './support/http-request';
import { connectClient, connectRefused, subscribe } from './support/test-client';

installLeakCheck();

const httpServers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(httpServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listeningHttpServer(): Promise<{ httpServer: HttpServer; url: string }> {
  const httpServer = createServer((_request, response) => response.end('app route'));
  httpServers.push(httpServer);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { httpServer, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
}

/** Makes `io`'s adapter join job rooms through `joinJobRoom` (given the real join), as an adapter with remote state would; other rooms join at once. */
function joinJobRoomsWith(io: JobIoServer, joinJobRoom: (joinNow: () => void | Promise<void>) => Promise<void>): JobIoServer['sockets']['adapter'] {
  const adapter = io.of('/').adapter;
  const joinNow = adapter.addAll.bind(adapter);
  adapter.addAll = (id, rooms) => ([...rooms].some((room) => room.startsWith('job:')) ? joinJobRoom(() => joinNow(id, rooms)) : joinNow(id, rooms));
  return adapter;
}

describe('attach modes', () => {
  it('attaches to the application http.Server and leaves it running after close', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const server = createJobServer({ httpServer });
    trackServers(server);
    expect(await server.listen()).toBe((httpServer.address() as AddressInfo).port);
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'attached' })).toMatchObject({ ok: true });

    await server.close({ timeoutMs: 500 });
    expect(server.stats()).toEqual(ZERO_STATS);
    expect(httpServer.listening).toBe(true);
    expect(await (await fetch(`${url}/`)).text()).toBe('app route');
  });

  it('attaches to an existing Socket.IO server without closing it', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const io: JobIoServer = new Server(httpServer);
    const server = createJobServer({ io });
    trackServers(server);
    expect(server.io).toBe(io);
    await expect(server.listen()).rejects.toThrow(/existing Socket.IO server/);
    const client = await connectClient(url);
    await server.update('shared-io', { status: 'queued' });
    expect(await subscribe(client, { jobId: 'shared-io' })).toMatchObject({ ok: true, snapshot: { status: 'queued' } });

    await server.close({ timeoutMs: 500 });
    expect(server.stats()).toEqual(ZERO_STATS);
    await io.close();
  });

  it('leaves one refusing middleware on an application io however many job servers were closed on it, and a later job server is served', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const io: JobIoServer = new Server(httpServer);
    const middlewares = () => (io.of('/') as unknown as { _fns: unknown[] })._fns.length;
    for (let cycle = 0; cycle < 3; cycle += 1) {
      const closed = createJobServer({ io });
      trackServers(closed);
      await closed.close({ timeoutMs: 0 });
    }
    // Closed, the job server's io refuses new connections as documented, with one middleware for all three.
    expect(middlewares()).toBe(1);
    expect(await connectRefused(url)).toMatchObject({ code: ErrorCode.SHUTTING_DOWN, retryAfterMs: expect.any(Number) });

    const server = createJobServer({ io });
    trackServers(server);
    const client = await connectClient(url);
    await server.update('after-three', { status: 'running' });
    expect(await subscribe(client, { jobId: 'after-three' })).toMatchObject({ ok: true, snapshot: { status: 'running' } });
    await server.close({ timeoutMs: 500 });
    expect(middlewares()).toBe(1);
    expect(server.stats()).toEqual(ZERO_STATS);
    await io.close();
  });

  it("disconnects only its own namespace on an application io at close: the application's namespace on the same transport stays", async () => {
    const { httpServer, url } = await listeningHttpServer();
    const io: JobIoServer = new Server(httpServer);
    io.of('/admin');
    const server = createJobServer({ io });
    trackServers(server);
    const client = await connectClient(url);
    const admin = client.socket.io.socket('/admin');
    await new Promise<void>((resolve) => admin.once('connect', () => resolve()).connect());
    const left = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));

    await server.close({ timeoutMs: 0 });
    expect(await left).toBe('io server disconnect');
    expect(admin.connected).toBe(true);
    expect(io.of('/admin').sockets.size).toBe(1);
    expect(server.stats()).toEqual(ZERO_STATS);
    admin.disconnect();
    await io.close();
  });

  it('waits for an adapter that joins asynchronously before it replies to subscribe-job, and the subscriber gets what follows', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const io: JobIoServer = new Server(httpServer);
    // An adapter whose joins of job rooms take effect when the test lets them, as a remote one's would.
    const heldJoins: Array<() => void> = [];
    const adapter = joinJobRoomsWith(io, (joinNow) => new Promise<void>((resolve) => heldJoins.push(() => resolve(joinNow()))));
    const server = createJobServer({ io });
    trackServers(server);
    const subscribed: string[] = [];
    server.on('subscribe', ({ jobId }) => subscribed.push(jobId));
    const client = await connectClient(url);
    await server.update('slow-join', { status: 'queued' });

    let answered = false;
    const reply = subscribe(client, { jobId: 'slow-join' }).finally(() => (answered = true));
    await vi.waitFor(() => expect(heldJoins.length).toBeGreaterThan(0));
    // Requests are answered in order: had the subscribe not waited for its join, its reply would have come first.
    expect(await client.socket.emitWithAck('unsubscribe-job', { jobId: 'other' })).toEqual({ ok: true });
    expect(answered).toBe(false);
    await vi.waitFor(() => {
      for (const join of heldJoins.splice(0)) join();
      expect(answered).toBe(true);
    });
    expect(await reply).toMatchObject({ ok: true, snapshot: { status: 'queued', seq: 1 } });
    expect(adapter.rooms.get('job:slow-join')?.has(client.socket.id!)).toBe(true);
    expect(subscribed).toEqual(['slow-join']);
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
    const update = new Promise((resolve) => client.socket.once('job-update', resolve));
    await server.update('slow-join', { status: 'running', progress: 50 });
    expect(await update).toMatchObject({ jobId: 'slow-join', seq: 2, progress: 50 });

    await server.close({ timeoutMs: 500 });
    expect(server.stats()).toEqual(ZERO_STATS);
    await io.close();
  });

  it('answers subscribe-job with a typed error, registers nothing and rejects nothing unhandled when an adapter fails to join', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const io: JobIoServer = new Server(httpServer);
    let failedJoins = 0;
    joinJobRoomsWith(io, () => {
      failedJoins += 1;
      return Promise.reject(new Error('the adapter could not join'));
    });
    const server = createJobServer({ io });
    trackServers(server);
    const errors: string[] = [];
    server.on('error', ({ context }) => errors.push(context));
    const client = await connectClient(url);
    await server.update('no-join', { status: 'queued' });

    const reply = await subscribe(client, { jobId: 'no-join' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    // One join was tried, not a second one behind it.
    expect(failedJoins).toBe(1);
    expect(errors.length).toBeGreaterThan(0);
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0 });

    await server.close({ timeoutMs: 500 });
    expect(server.stats()).toEqual(ZERO_STATS);
    await io.close();
  });

  it('takes its listeners off the application http.Server at close, so /socket.io/ is the app route again and a new job server can attach', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const appListeners = httpServer.listeners('request');
    const first = createJobServer({ httpServer });
    trackServers(first);
    const polling = `${url}/socket.io/?EIO=4&transport=polling`;
    expect(await (await fetch(polling)).text()).toMatch(/^0\{"sid"/);

    await first.close({ timeoutMs: 500 });
    expect(await (await fetch(polling)).text()).toBe('app route');
    expect(httpServer.listeners('request')).toEqual(appListeners);
    expect(httpServer.listenerCount('upgrade')).toBe(0);

    const second = createJobServer({ httpServer });
    trackServers(second);
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'reattached' })).toMatchObject({ ok: true });
    expect(second.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
    await second.close({ timeoutMs: 500 });
    expect(await (await fetch(polling)).text()).toBe('app route');
  });

  it('closing the first of two job servers on one http.Server leaves the second working and the app answering once; the second puts the app listeners back', async () => {
    let appCalls = 0;
    const httpServer = createServer((_request, response) => {
      appCalls += 1;
      response.end('app route');
    });
    httpServers.push(httpServer);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const appListeners = httpServer.listeners('request');
    const first = createJobServer({ httpServer });
    const second = createJobServer({ httpServer, socketIoOptions: { path: '/second/' } });
    trackServers(first, second);

    await first.close({ timeoutMs: 500 });
    expect(await httpRequest(`${url}/`)).toMatchObject({ status: 200, body: 'app route' });
    expect(appCalls).toBe(1);
    expect((await httpRequest(`${url}/second/?EIO=4&transport=polling`)).body).toMatch(/^0\{"sid"/);
    expect(appCalls).toBe(1);

    await second.close({ timeoutMs: 500 });
    expect(httpServer.listeners('request')).toEqual(appListeners);
    expect(httpServer.listenerCount('upgrade')).toBe(0);
    expect(await httpRequest(`${url}/second/?EIO=4&transport=polling`)).toMatchObject({ status: 200, body: 'app route' });
    expect(appCalls).toBe(2);
  });

  it('a job server closed while a later one on the same http.Server still wraps it refuses handshakes on its path, opening no session', async () => {
    const { httpServer, url } = await listeningHttpServer();
    const first = createJobServer({ httpServer });
    const second = createJobServer({ httpServer, socketIoOptions: { path: '/second/' } });
    trackServers(first, second);

    await first.close({ timeoutMs: 500 });
    const handshake = await httpRequest(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(403);
    expect(handshake.body).not.toMatch(/"sid"/);
    // No engine session, so none of its ping or connect timers either (the leak check counts the timers).
    expect(first.io.engine.clientsCount).toBe(0);
    expect((await httpRequest(`${url}/second/?EIO=4&transport=polling`)).body).toMatch(/^0\{"sid"/);
  });

  it("refuses Socket.IO's connectionStateRecovery in socketIoOptions, saying why", () => {
    expect(() => createJobServer({ socketIoOptions: { connectionStateRecovery: {} } })).toThrow(
      expect.objectContaining({
        name: 'JobServerOptionsError',
        option: 'socketIoOptions.connectionStateRecovery',
        message: expect.stringMatching(/skips the job server's handshake.*lastSeq/),
      }),
    );
  });

  it('refuses a Socket.IO server built with connectionStateRecovery, saying why', async () => {
    const io = new Server({ connectionStateRecovery: { skipMiddlewares: false } });
    expect(() => createJobServer({ io })).toThrow(
      expect.objectContaining({ name: 'JobServerOptionsError', option: 'io', message: expect.stringMatching(/connectionStateRecovery.*lastSeq/) }),
    );
    await io.of('/').adapter.close();
  });

  it('refuses both io and httpServer, naming the option', () => {
    const httpServer = createServer();
    // Never attached, so it holds no resources to release.
    const io = new Server();
    expect(() => createJobServer({ httpServer, io })).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'io' }));
  });
});
