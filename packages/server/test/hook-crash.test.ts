import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { JobServer, JobServerLogger } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { connectClient, connectRefused, subscribe } from './support/test-client';

installLeakCheck();

/** A value that throws on any use: reading a property, printing it, asking for its prototype. */
function toxic(): object {
  const explode = (): never => {
    throw new Error('toxic value touched');
  };
  return new Proxy({}, { get: explode, has: explode, ownKeys: explode, getPrototypeOf: explode, getOwnPropertyDescriptor: explode });
}

/** Things a user hook may throw or reject with besides an `Error`. */
const THROWABLES: [string, () => unknown][] = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['a string', () => 'hook failed'],
  ['a number', () => 42],
  ['an object that throws on any use', toxic],
];

/** A logger whose every method throws. */
const explodingLogger: JobServerLogger = {
  debug: () => {
    throw new Error('debug broke');
  },
  info: () => {
    throw new Error('info broke');
  },
  warn: () => {
    throw new Error('warn broke');
  },
  error: () => {
    throw new Error('error broke');
  },
};

/** Every lifecycle event of `server` gets a listener that throws. */
function breakEveryListener(server: JobServer): void {
  for (const event of ['connection', 'disconnect', 'subscribe', 'unsubscribe', 'notice', 'error'] as const) {
    server.on(event, () => {
      throw new Error(`listener of ${event} broke`);
    });
  }
}

describe('exceptions in user hooks', () => {
  it.each(THROWABLES)('refuses with INTERNAL and keeps no record when authenticate throws or rejects with %s', async (_, value) => {
    let call = 0;
    const { server, url } = await startJobServer({
      logger: explodingLogger,
      authenticate: ({ auth }) => {
        call += 1;
        if (auth.token === 'sync') throw value();
        if (auth.token === 'async') return Promise.reject(value());
        return { user: 'fine' };
      },
    });
    breakEveryListener(server);
    for (const token of ['sync', 'async']) {
      expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION, token } })).toEqual({
        code: ErrorCode.INTERNAL,
        message: expect.any(String),
      });
    }
    // The refused clients' transports hold their slots until the clients close them.
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, pendingTransports: 0 }));
    const client = await connectClient(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'good' } });
    expect(await subscribe(client, { jobId: 'after-crash' })).toMatchObject({ ok: true });
    expect(call).toBe(3);
    expect(server.counters().internalErrors).toBeGreaterThanOrEqual(2);
  });

  it.each(THROWABLES)('answers INTERNAL and records no subscription when authorizeSubscribe throws or rejects with %s', async (_, value) => {
    const { server, url } = await startJobServer({
      logger: explodingLogger,
      authorizeSubscribe: ({ jobId }) => {
        if (jobId === 'sync') throw value();
        if (jobId === 'async') return Promise.reject(value());
        // Awaiting it reads `then`, which throws.
        if (jobId === 'poisoned') return toxic() as unknown as boolean;
        return true;
      },
    });
    breakEveryListener(server);
    const client = await connectClient(url);
    for (const jobId of ['sync', 'async', 'poisoned']) {
      expect(await subscribe(client, { jobId })).toEqual({ ok: false, error: { code: ErrorCode.INTERNAL, message: expect.any(String) } });
    }
    expect(server.stats().subscriptions).toBe(0);
    expect(server.io.of('/').adapter.rooms.size).toBe(1); // only the socket's own room
    expect(await subscribe(client, { jobId: 'fine' })).toMatchObject({ ok: true });
  });

  it.each([
    ['a truthy string', 'yes'],
    ['1', 1],
    ['an object', {}],
    ['a promise of "true"', Promise.resolve('true')],
  ])('answers FORBIDDEN when authorizeSubscribe returns %s instead of true', async (_, value) => {
    const { server, url } = await startJobServer({ authorizeSubscribe: () => value as boolean });
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'job' })).toEqual({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: expect.any(String) } });
    expect(server.stats().subscriptions).toBe(0);
  });

  it('records nothing when authorizeSubscribe allows a client that left while it was deciding', async () => {
    let allow: (allowed: boolean) => void = () => undefined;
    let asked: () => void = () => undefined;
    const deciding = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const { server, url } = await startJobServer({
      authorizeSubscribe: () =>
        new Promise<boolean>((resolve) => {
          allow = resolve;
          asked();
        }),
    });
    const client = await connectClient(url);
    client.socket.emit('subscribe-job', { jobId: 'slow-policy' }, () => undefined);
    await deciding;
    client.socket.disconnect();
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0 }));
    allow(true);
    await vi.waitFor(() => expect(server.io.of('/').adapter.rooms.size).toBe(0));
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, pendingAcks: 0 });
  });

  it('survives a logger and listeners that throw on every path: refusal, junk, flood notice, heartbeat timeout and shutdown', async () => {
    const { server, url } = await startJobServer({
      logger: explodingLogger,
      heartbeat: { intervalMs: 50, timeoutMs: 100 },
      limits: { rateLimit: { events: 3, windowMs: 60_000, abuseStrikes: 2 } },
    });
    breakEveryListener(server);

    expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION + 1 } })).toMatchObject({ code: ErrorCode.UNSUPPORTED_PROTOCOL });

    const flooder = await connectClient(url);
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => subscribe(flooder, { jobId: `flood-${i}` })));
    expect(replies.filter((reply) => !reply.ok).map((reply) => !reply.ok && reply.error.code)).toEqual([ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
    await vi.waitFor(() => expect(flooder.disconnectReasons).toEqual(['io server disconnect']));

    const silent = await connectClient(url, { answerHeartbeats: false });
    await vi.waitFor(() => expect(silent.disconnectReasons).toEqual(['io server disconnect']));
    // Before close() (which empties everything anyway): nothing of the flooder and the silent client was left behind.
    expect(server.stats()).toEqual({ ...ZERO_STATS, timers: 2 });

    const watcher = await connectClient(url);
    expect(await subscribe(watcher, { jobId: 'kept' })).toMatchObject({ ok: true });
    await server.update('kept', { status: 'running', progress: 1 });
    await server.close({ timeoutMs: 500 });
    expect(watcher.notices.map((notice) => notice.reason)).toEqual(['shutdown']);
    expect(server.counters().internalErrors).toBeGreaterThan(0);
  });
});
