import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { openRawEngineAccepted } from './support/raw-engine-client';
import { connectClient, connectRefused, createTestClient, subscribe } from './support/test-client';

installLeakCheck();

describe('handshake', () => {
  it('refuses another protocol version with UNSUPPORTED_PROTOCOL', async () => {
    const { server, url } = await startJobServer();
    const error = await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION + 1 } });
    expect(error).toEqual({ code: ErrorCode.UNSUPPORTED_PROTOCOL, message: expect.stringContaining(`version ${PROTOCOL_VERSION}`) });
    expect(await connectRefused(url, { auth: {} })).toMatchObject({ code: ErrorCode.UNSUPPORTED_PROTOCOL });
    expect(server.counters().refusedConnections).toBe(2);
    // The slot is the transport's: it goes when the refused client closes its transport.
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, pendingTransports: 0 }));
  });

  it('refuses a protocolVersion it cannot even print (nested 20,000 deep, or very long) as UNSUPPORTED_PROTOCOL, not INTERNAL', async () => {
    const { server, url } = await startJobServer();
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    for (const [version, described] of [
      [deep, 'an array'],
      [`"${'9'.repeat(1000)}"`, `"${'9'.repeat(32)}…"`],
    ] as const) {
      const raw = await openRawEngineAccepted(url);
      raw.send(`40{"protocolVersion":${version}}`);
      const refusal = JSON.parse((await raw.nextMessage((text) => text.startsWith('44'))).slice(2)) as { data: unknown };
      expect(refusal.data).toEqual({ code: ErrorCode.UNSUPPORTED_PROTOCOL, message: `this server speaks protocol version ${PROTOCOL_VERSION}, the client sent ${described}` });
      raw.close();
    }
    expect(server.counters()).toMatchObject({ internalErrors: 0, refusedConnectionsByCode: { [ErrorCode.UNSUPPORTED_PROTOCOL]: 2 } });
  });

  it.each([false, true])("registers nothing for a socket the application's own connect listener disconnected first (disconnect(%s))", async (closeTransport) => {
    const { server, url } = await startJobServer();
    const refuse = (socket: { disconnect(close: boolean): unknown }): void => void socket.disconnect(closeTransport);
    server.io.on('connect', refuse);
    const client = createTestClient(url);
    const disconnected = new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()));
    client.socket.connect();
    await disconnected;
    expect(server.stats()).toMatchObject({ connections: 0, pendingHeartbeats: 0 });
    // The transport's slot goes with the transport (the leak check after this test waits for it).
    client.socket.close();
    server.io.off('connect', refuse);
    const witness = await connectClient(url);
    expect(await subscribe(witness, { jobId: 'after' })).toMatchObject({ ok: true });
  });

  it('refuses a handshake auth that fails its schema with INVALID_PAYLOAD', async () => {
    const { url } = await startJobServer();
    const error = await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 42 } });
    expect(error).toMatchObject({ code: ErrorCode.INVALID_PAYLOAD, message: expect.stringContaining('auth.token') });
  });

  it('refuses a connection that authenticate rejects with UNAUTHORIZED and hands the principal to authorizeSubscribe', async () => {
    const authorizeSubscribe = vi.fn(({ principal, jobId }: { principal: unknown; jobId: string }) => principal === 'alice' && jobId.startsWith('alice-'));
    const { url } = await startJobServer({
      authenticate: ({ auth }) => (auth.token === 'secret' ? 'alice' : null),
      authorizeSubscribe,
    });
    expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'wrong' } })).toMatchObject({ code: ErrorCode.UNAUTHORIZED });

    const client = await connectClient(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'secret' } });
    expect(await subscribe(client, { jobId: 'alice-1' })).toMatchObject({ ok: true });
    expect(authorizeSubscribe).toHaveBeenCalledWith({ principal: 'alice', jobId: 'alice-1' });
  });

  it('survives an authenticate hook that throws or rejects, refusing with INTERNAL and keeping no record', async () => {
    const errors: string[] = [];
    let calls = 0;
    const { server, url } = await startJobServer({
      authenticate: async () => {
        calls += 1;
        if (calls === 1) throw new Error('auth backend down');
        return Promise.reject(new Error('still down'));
      },
    });
    server.on('error', ({ context }) => errors.push(context));
    expect(await connectRefused(url)).toEqual({ code: ErrorCode.INTERNAL, message: 'the server could not authenticate this connection' });
    expect(await connectRefused(url)).toMatchObject({ code: ErrorCode.INTERNAL });
    expect(errors).toEqual(['authenticate', 'authenticate']);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, pendingTransports: 0 }));
    expect(server.health().status).toBe('ok');
  });

  it('releases the IP slot of a client that goes away while authenticate is still running, and never admits it', async () => {
    let releaseHook: () => void = () => undefined;
    const hookStarted = new Promise<void>((started) => {
      releaseHook = started;
    });
    let finishAuth: (principal: string) => void = () => undefined;
    const { server, url } = await startJobServer({
      limits: { maxConnectionsPerIp: 1 },
      authenticate: ({ auth }) =>
        auth.token === 'second'
          ? 'second'
          : new Promise((resolve) => {
              finishAuth = resolve;
              releaseHook();
            }),
    });
    const admitted: unknown[] = [];
    server.on('connection', ({ principal }) => admitted.push(principal));
    const client = createTestClient(url);
    client.socket.connect();
    await hookStarted;
    client.socket.disconnect();
    await vi.waitFor(() => expect(server.io.engine.clientsCount).toBe(0));
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, pendingTransports: 0 });
    finishAuth('late');
    // The one slot is free: the next client gets it, and the late handshake never became a connection.
    await connectClient(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'second' } });
    expect(admitted).toEqual(['second']);
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, pendingTransports: 0 });
  });
  it('closes a transport whose authenticate never settles once limits.handshakeTimeoutMs ran out, and frees its slot', async () => {
    const handshakeTimeoutMs = 200;
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 1, handshakeTimeoutMs }, authenticate: () => new Promise<never>(() => undefined) });
    const client = createTestClient(url);
    const openedAt = performance.now();
    const closed = new Promise<void>((resolve) => client.socket.io.on('close', () => resolve()));
    client.socket.connect();
    await closed;
    // Socket.IO's own connectTimeout, 1 s later, would close it too: this bound is the job server's.
    expect(performance.now() - openedAt).toBeLessThan(handshakeTimeoutMs + 800);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, pendingTransports: 0 }));
    client.socket.disconnect();
  });
});
