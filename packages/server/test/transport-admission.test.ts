import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import { Server } from 'socket.io';
import { describe, expect, it, vi } from 'vitest';
import { createJobServer, type JobIoServer, type JobServer } from '../src/index';
import { IpConnectionLimit } from '../src/lifecycle/ip-limit';
import { TransportAdmission, type Transport } from '../src/lifecycle/transport-admission';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackServers, ZERO_STATS } from './support/leak-check';
import { openRawEngine, openRawEngineAccepted, type RawEngineConnection, type RawEngineOutcome } from './support/raw-engine-client';
import { connectClient, connectRefused, createTestClient, type TestClient } from './support/test-client';

installLeakCheck();

const TOO_MANY = { code: ErrorCode.TOO_MANY_CONNECTIONS, message: 'too many connections from this address' };
/** How Engine.IO refuses a WebSocket handshake request: HTTP 400 with the reason as its body. */
const FORBIDDEN_UPGRADE = { refused: 400, body: TOO_MANY.message };
/** Socket.IO's CONNECT (`40`) with the protocol handshake, as a client without a Socket.IO library writes it. */
const CONNECT = `40${JSON.stringify({ protocolVersion: PROTOCOL_VERSION })}`;

/** Every registry empty while the server runs (its ticker and sweeper are its only timers). */
const expectIdle = (server: JobServer) => expect(server.stats()).toEqual({ ...ZERO_STATS, timers: 2 });

/** The `data` of a Socket.IO CONNECT_ERROR packet (`44{"message":…,"data":…}`) among the messages, if any. */
function refusalIn(connection: RawEngineConnection): unknown {
  const packet = connection.messages.find((text) => text.startsWith('44'));
  return packet === undefined ? undefined : (JSON.parse(packet.slice(2)) as { data: unknown }).data;
}

/**
 * Waits until each raw connection attempt has ended, and checks that none became a connection: refused by Engine.IO, or opened and closed by the server (with the TOO_MANY_CONNECTIONS refusal, or at once without it).
 */
async function expectAllRefused(outcomes: RawEngineOutcome[]): Promise<{ forbidden: number; closed: number }> {
  let forbidden = 0;
  for (const outcome of outcomes) {
    if ('refused' in outcome) {
      expect(outcome).toEqual(FORBIDDEN_UPGRADE);
      forbidden += 1;
      continue;
    }
    await outcome.connection.closed;
    expect(outcome.connection.messages.some((text) => text.startsWith('40'))).toBe(false);
    expect([undefined, TOO_MANY]).toContainEqual(refusalIn(outcome.connection));
  }
  return { forbidden, closed: outcomes.length - forbidden };
}

const times = <T>(count: number, make: () => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: count }, make));

describe('admission before state: every transport counts against limits.maxConnectionsPerIp', () => {
  it('answers a raw Engine.IO connection past a full cap with the TOO_MANY_CONNECTIONS refusal and closes it', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 3 } });
    await times(3, () => connectClient(url));

    const raw = await openRawEngineAccepted(url);
    await raw.nextMessage((text) => text.startsWith('44'));
    expect(refusalIn(raw)).toEqual(TOO_MANY);
    await raw.closed;
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 3, connectionsByIp: 1, pendingTransports: 0 }));
    expect(server.counters().refusedConnectionsByCode).toEqual({ [ErrorCode.TOO_MANY_CONNECTIONS]: 1 });
  });

  it('refuses 20 raw connections opened at once past a full cap: none stays open, none becomes a connection', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 3 } });
    const clients = await times(3, () => connectClient(url));

    await expectAllRefused(await times(20, () => openRawEngine(url)));
    expect(server.counters().refusedConnectionsByCode).toEqual({ [ErrorCode.TOO_MANY_CONNECTIONS]: 20 });
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 3, connectionsByIp: 1, pendingTransports: 0 }));

    for (const client of clients) client.socket.disconnect();
    await vi.waitFor(() => expectIdle(server));
  });

  it('counts raw connections that never send CONNECT: past them, raw connections are refused and Socket.IO clients get TOO_MANY_CONNECTIONS', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 3 } });
    await times(3, () => openRawEngineAccepted(url));
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 1, pendingTransports: 3 });

    await expectAllRefused(await times(20, () => openRawEngine(url)));
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 1, pendingTransports: 3 }));
    for (const transport of ['websocket', 'polling'] as const) expect(await connectRefused(url, { transports: [transport] })).toEqual(TOO_MANY);
  });

  it('refuses in Engine.IO (HTTP 400 for WebSocket, 403 for polling), before any state, while another transport of the IP is being refused', async () => {
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 1 } });
    await openRawEngineAccepted(url);
    // A long-polling transport whose refusal waits for a poll that this client never makes.
    const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(handshake.status).toBe(200);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ pendingTransports: 2 }));

    expect(await openRawEngine(url)).toEqual(FORBIDDEN_UPGRADE);
    const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect({ status: polling.status, body: await polling.json() }).toEqual({ status: 403, body: { code: 4, message: TOO_MANY.message } });
    expect(server.io.engine.clientsCount).toBe(2);
  });

  it("refuses a request whose application allowRequest throws, reports it, and goes on admitting the others", async () => {
    let calls = 0;
    const { server, url } = await startJobServer({
      socketIoOptions: {
        allowRequest: (_request, callback) => {
          calls += 1;
          if (calls === 1) throw new Error('allowRequest bug');
          callback(null, true);
        },
      },
    });
    const errors: { context: string }[] = [];
    server.on('error', (event) => errors.push(event));
    // A WebSocket upgrade Engine.IO refuses gets HTTP 400.
    expect(await openRawEngine(url)).toMatchObject({ refused: 400 });
    expect(errors).toEqual([expect.objectContaining({ context: 'allowRequest' })]);
    const client = await connectClient(url);
    client.socket.disconnect();
    await vi.waitFor(() => expectIdle(server));
  });

  it("refuses a request the application's allowRequest allows only after close(): no Engine.IO session opens on the closed server", async () => {
    // The application's answer, held until the test gives it.
    let allow: (() => void) | undefined;
    let onAsked: () => void = () => undefined;
    const askedOnce = new Promise<void>((resolve) => (onAsked = resolve));
    const { server, url } = await startJobServer({
      socketIoOptions: {
        allowRequest: (_request, callback) => {
          allow = () => callback(null, true);
          onAsked();
        },
      },
    });
    const handshake = fetch(`${url}/socket.io/?EIO=4&transport=polling`).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await askedOnce;
    await server.close({ timeoutMs: 0 });
    allow?.();
    expect(server.io.engine.clientsCount).toBe(0);
    expect(await handshake).toBe('connection closed');
    expect(server.stats()).toEqual(ZERO_STATS);
  });

  it("refuses in Engine.IO only while a refusal is on its way, and asks the application's own allowRequest for every other request", async () => {
    const asked: string[] = [];
    const { server, url } = await startJobServer({
      limits: { maxConnectionsPerIp: 1 },
      socketIoOptions: {
        allowRequest: (request, callback) => {
          asked.push(new URL(request.url ?? '/', url).searchParams.get('transport') ?? '');
          callback(null, true);
        },
      },
    });
    const first = await openRawEngineAccepted(url);
    const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    const { sid } = JSON.parse((await handshake.text()).slice(1)) as { sid: string };
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ pendingTransports: 2 }));
    expect(asked).toEqual(['websocket', 'polling']);

    // Refused before the application is asked.
    expect(await openRawEngine(url)).toEqual(FORBIDDEN_UPGRADE);
    expect(asked).toHaveLength(2);

    // The poll takes the refusal, and the transport closes: nothing is being refused any more.
    const poll = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    expect(await poll.text()).toContain(TOO_MANY.message);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ pendingTransports: 1 }));
    first.close();
    await vi.waitFor(() => expectIdle(server));
    const client = await connectClient(url);
    expect(asked).toEqual(['websocket', 'polling', 'websocket']);
    client.socket.disconnect();
    await vi.waitFor(() => expectIdle(server));
  });

  it('closes a transport that does not complete the Socket.IO handshake within limits.handshakeTimeoutMs, and only that one', async () => {
    const handshakeTimeoutMs = 300;
    const { server, url } = await startJobServer({ limits: { handshakeTimeoutMs } });
    const connected = await openRawEngineAccepted(url);
    connected.send(CONNECT);
    await connected.nextMessage((text) => text.startsWith('40'));

    const openedAt = performance.now();
    const silent = await openRawEngineAccepted(url);
    await silent.closed;
    const openFor = performance.now() - openedAt;
    expect(openFor).toBeGreaterThanOrEqual(handshakeTimeoutMs - 20);
    expect(openFor).toBeLessThan(handshakeTimeoutMs + 1000);
    // Opened first, so its own bound passed too: a completed handshake ends the bound.
    expect(connected.open).toBe(true);
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, pendingTransports: 0 }));
  });

  it('frees the slots of raw connections once the handshake bound closed them', async () => {
    // Long enough for the refused client below to be turned away before the bound frees the slots, even on a loaded machine.
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: 2, handshakeTimeoutMs: 1000 } });
    const sitting = await times(2, () => openRawEngineAccepted(url));
    expect(await connectRefused(url)).toEqual(TOO_MANY);
    await Promise.all(sitting.map((connection) => connection.closed));
    await vi.waitFor(() => expectIdle(server));
    await times(2, () => connectClient(url));
  });

  it('lets one transport carry one connection: a second CONNECT sent while the first is being admitted is refused', async () => {
    let admitFirst: (principal: string) => void = () => undefined;
    let firstAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => {
      firstAsked = resolve;
    });
    const { server, url } = await startJobServer({
      authenticate: () =>
        new Promise<string>((resolve) => {
          admitFirst = resolve;
          firstAsked();
        }),
    });
    const raw = await openRawEngineAccepted(url);
    raw.send(CONNECT);
    await asked;
    raw.send(CONNECT);
    await raw.nextMessage((text) => text.startsWith('44'));
    expect(refusalIn(raw)).toEqual({ code: ErrorCode.TOO_MANY_CONNECTIONS, message: 'this transport already carries a connection' });
    admitFirst('first');
    await raw.nextMessage((text) => text.startsWith('40'));
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, pendingTransports: 0 });
  });

  it('keeps the per-IP count balanced through churn: refusals, timeouts, transports dropped mid-handshake, both transports', async () => {
    const cap = 4;
    const { server, url } = await startJobServer({ limits: { maxConnectionsPerIp: cap, handshakeTimeoutMs: 150 } });
    const settle = <T>(work: Promise<T>): Promise<unknown> => work.then(
      () => undefined,
      () => undefined,
    );
    for (let round = 0; round < 8; round += 1) {
      const work: Promise<unknown>[] = [];
      // Socket.IO clients that connect and leave, over either transport (some of them refused: the cap is shared).
      for (const transport of ['websocket', 'polling'] as const) {
        work.push(
          settle(
            connectClient(url, { transports: [transport] }).then((client: TestClient) => {
              client.socket.disconnect();
            }),
          ),
        );
      }
      // A raw transport dropped before and one dropped after its CONNECT, and one left to the handshake bound.
      work.push(settle(openRawEngine(url).then((outcome) => ('connection' in outcome ? outcome.connection.close() : undefined))));
      work.push(
        settle(
          openRawEngineAccepted(url).then((connection) => {
            connection.send(CONNECT);
            connection.close();
          }),
        ),
      );
      work.push(settle(openRawEngine(url).then((outcome) => ('connection' in outcome ? outcome.connection.closed : undefined))));
      // A Socket.IO client that gives up while its transport is still opening.
      const quitter = createTestClient(url, { transports: ['polling'] });
      quitter.socket.connect();
      work.push(Promise.resolve().then(() => quitter.socket.disconnect()));
      await Promise.all(work);
    }
    await vi.waitFor(() => expectIdle(server));
    expect(server.io.engine.clientsCount).toBe(0);

    // No drift: exactly `cap` connections fit, the next one is refused.
    await times(cap, () => connectClient(url));
    expect(await connectRefused(url)).toEqual(TOO_MANY);
    expect(server.stats()).toMatchObject({ connections: cap, connectionsByIp: 1 });
  });

  it("counts the connections of an application's Socket.IO server from their handshake, and forgets them at close", async () => {
    const httpServer = createServer();
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const io: JobIoServer = new Server(httpServer);
    const server = createJobServer({ io, limits: { maxConnectionsPerIp: 1 } });
    trackServers(server);
    try {
      // The application's engine is not guarded: a raw transport costs nothing until it sends CONNECT.
      const raw = await openRawEngineAccepted(url);
      expect(server.stats()).toMatchObject({ connectionsByIp: 0, pendingTransports: 0 });
      raw.send(CONNECT);
      await raw.nextMessage((text) => text.startsWith('40'));
      expect(await connectRefused(url)).toEqual(TOO_MANY);
      expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1 });
      await server.close({ timeoutMs: 0 });
      expect(server.stats()).toEqual(ZERO_STATS);
    } finally {
      await io.close();
    }
  });

  it('takes back no transport after its release: a connection that ends on an open transport then keeps no slot, no entry and no handshake deadline', async () => {
    const httpServer = createServer();
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const io: JobIoServer = new Server(httpServer);
    const ipLimit = new IpConnectionLimit(1);
    const admission = new TransportAdmission({ now: Date.now, ipLimit, trustProxy: 0, handshakeTimeoutMs: 10_000, onRefused: () => undefined, onError: () => undefined, onAllowRequestError: () => undefined });
    const opened = new Promise<Transport>((resolve) => io.engine.once('connection', resolve));
    admission.guard(io);
    try {
      await openRawEngineAccepted(url);
      const transport = await opened;
      const ip = transport.remoteAddress;
      expect(admission.admit(transport)).toBe('admitted');
      expect(admission.claim(transport) && admission.carry(transport)).toBe(true);
      admission.release(io);
      // The connection it carried ends while the transport stays open (as a client's namespace disconnect leaves it).
      expect(transport.readyState).toBe('open');
      admission.uncarry(transport, ip);
      expect({ pending: admission.pendingCount, timerArmed: admission.timerArmed, slots: ipLimit.count(ip) }).toEqual({ pending: 0, timerArmed: false, slots: 0 });
    } finally {
      await io.close();
    }
  });
});
