import { EventName, type TimeoutNotice } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient, record } from './support/job-client-resource';
import { createSharedJobStore, startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer } from './support/misbehaving-server';

installLeakCheck();

/** A server clock the test moves by hand, so inactivity rules fire exactly when asked. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let time = Date.now();
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

/**
 * Records, on the server side, every reply a client gives to a `server-timeout-notice`, by wrapping the
 * ack callback of each connection's notice emits. Call before the client connects.
 */
function recordNoticeAcks(resource: JobServerResource): unknown[] {
  const acks: unknown[] = [];
  resource.server.io.on('connection', (socket) => {
    const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
    (socket as unknown as { emit: typeof emit }).emit = (event, ...args) => {
      const ack = args.at(-1);
      if (event === EventName.ServerTimeoutNotice && typeof ack === 'function') {
        args[args.length - 1] = (reply: unknown) => {
          acks.push(reply);
          (ack as (reply: unknown) => void)(reply);
        };
      }
      return emit(event, ...args);
    };
  });
  return acks;
}

/** A client connected to a server whose idle rule fires on the next `disconnectInactive()` (its clock moved past it). */
async function idleConnection(): Promise<{ resource: JobServerResource; acks: unknown[] } & ReturnType<typeof openClient>> {
  const clock = manualClock();
  const resource = await startJobServer({ now: clock.now, session: { idleTimeoutMs: 1000 } });
  const acks = recordNoticeAcks(resource);
  const recorded = openClient({ url: resource.url });
  await recorded.until(isConnected);
  clock.advance(5000);
  return { resource, acks, ...recorded };
}

describe('server-timeout-notice handling', () => {
  it('on shutdown acknowledges, comes back after retryAfterMs plus jitter, and keeps its subscriptions', async () => {
    const shared = createSharedJobStore();
    const resource = await startJobServer({ store: shared.store, shutdown: { retryWindowMs: 400 } });
    const clients = [0, 1].map(() => openClient({ url: resource.url, random: () => 0.5, reconnect: { initialDelayMs: 50, minDelayMs: 20 } }));
    const notices: TimeoutNotice[][] = clients.map(({ client }) => {
      const seen: TimeoutNotice[] = [];
      client.on('notice', (notice) => seen.push(notice));
      return seen;
    });
    const watched = clients.map(({ client }) => record(client, 'deploy-1'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    await resource.server.update('deploy-1', { status: 'running' });

    // Closing waits for every acknowledgement up to its deadline; it returns long before 30 s only if both clients acked.
    const started = Date.now();
    await resource.stop({ timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(5000);

    const retryAfter = notices.map(([notice]) => notice?.retryAfterMs);
    expect(notices.map(([notice]) => notice?.reason)).toEqual(['shutdown', 'shutdown']);
    expect([...retryAfter].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([0, 200]);
    // The client hears its connection close a moment after the server's close() resolved.
    await vi.waitFor(() => clients.forEach(({ states }) => expect(states.some((s) => s.status === 'reconnecting')).toBe(true)));
    clients.forEach(({ states }, i) => {
      const firstRetry = states.find((s) => s.status === 'reconnecting');
      expect(firstRetry).toEqual({ status: 'reconnecting', attempt: 1, delayMs: (retryAfter[i] ?? 0) + 25, reason: 'shutdown' });
    });

    await resource.start();
    await Promise.all(clients.map(({ until }) => until(isConnected)));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    await resource.server.update('deploy-1', { status: 'completed' });
    for (const w of watched) await vi.waitFor(() => expect(w.ends).toBe(1));
    for (const w of watched) expect(w.seqs).toEqual([1, 2]);
  });

  it('on session-expired reconnects at once with fresh auth and restores its subscriptions', async () => {
    const clock = manualClock();
    const tokens: unknown[] = [];
    const resource = await startJobServer({
      now: clock.now,
      session: { maxInactivityMs: 1000 },
      authenticate: ({ auth }) => {
        tokens.push(auth.token);
        return { user: auth.token };
      },
    });
    const acks = recordNoticeAcks(resource);
    let issued = 0;
    const { client, states, until } = openClient({ url: resource.url, auth: async () => `token-${++issued}` });
    const notices: TimeoutNotice[] = [];
    client.on('notice', (notice) => notices.push(notice));
    const watched = record(client, 'session-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));

    clock.advance(5000);
    await expect(resource.server.maintenance.disconnectInactive()).resolves.toBe(1);
    await until((state) => state.status === 'connected' && states.some((s) => s.status === 'reconnecting'));

    expect(notices.map((n) => n.reason)).toEqual(['session-expired']);
    expect(acks).toEqual([{ reason: 'session-expired' }]);
    expect(states.find((s) => s.status === 'reconnecting')).toEqual({ status: 'reconnecting', attempt: 1, delayMs: 0, reason: 'session-expired' });
    expect(tokens).toEqual(['token-1', 'token-2']);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('session-job', { status: 'completed' });
    await vi.waitFor(() => expect(watched.seqs).toEqual([1]));
  });

  it('on idle stays disconnected until the application subscribes again', async () => {
    const clock = manualClock();
    const resource = await startJobServer({ now: clock.now, session: { idleTimeoutMs: 1000 } });
    await resource.server.update('later-job', { status: 'running', progress: 5 });
    const acks = recordNoticeAcks(resource);
    const { client, states, until } = openClient({ url: resource.url });
    await until(isConnected);

    clock.advance(5000);
    await resource.server.maintenance.disconnectInactive();
    const idle = await until((state) => state.status === 'disconnected');
    expect(idle).toEqual({ status: 'disconnected', reason: 'idle' });
    await vi.waitFor(() => expect(acks).toEqual([{ reason: 'idle' }]));
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
    // The server keeps working meanwhile; the client does not come back on its own.
    await resource.server.update('later-job', { status: 'running', progress: 6 });
    expect(client.state).toEqual({ status: 'disconnected', reason: 'idle' });
    expect(states.filter((s) => s.status === 'connecting')).toHaveLength(1);
    expect(states.some((s) => s.status === 'reconnecting')).toBe(false);

    const watched = record(client, 'later-job');
    await until(isConnected);
    await vi.waitFor(() => expect(watched.seqs).toEqual([2]));
    expect(states.filter((s) => s.status === 'connecting')).toHaveLength(2);
  });

  it('on idle that crossed a waitFor (its subscribe-job not seen by the server yet) reconnects at once, and the waitFor settles', async () => {
    const { resource, acks, client, states, until } = await idleConnection();
    const done = client.waitFor('race-job', { timeoutMs: 10_000 });
    // The server's sweep runs in the same tick, before the subscribe-job reached it: it sees an idle connection.
    await resource.server.maintenance.disconnectInactive();
    await vi.waitFor(() => expect(acks).toEqual([{ reason: 'idle' }]));
    await until((state) => isConnected(state) && states.some((s) => s.status === 'reconnecting'));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('race-job', { status: 'completed' });

    await expect(done).resolves.toMatchObject({ jobId: 'race-job', status: 'completed' });
    expect(states.find((s) => s.status === 'reconnecting')).toEqual({ status: 'reconnecting', attempt: 1, delayMs: 0, reason: 'connection-lost' });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
  });

  it('on idle stays disconnected until the application calls connect()', async () => {
    const { resource, acks, client, states, until } = await idleConnection();
    await resource.server.maintenance.disconnectInactive();
    await until((state) => state.status === 'disconnected');
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
    expect(acks).toEqual([{ reason: 'idle' }]);
    expect(client.state).toEqual({ status: 'disconnected', reason: 'idle' });

    client.connect();
    await until(isConnected);
    expect(resource.server.stats().connections).toBe(1);
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
  });

  it('on rate-limited backs off at least retryAfterMs, then resubscribes what is still active', async () => {
    const resource = await startJobServer({ limits: { rateLimit: { events: 2, windowMs: 1000, abuseStrikes: 2 } }, session: { noticeGraceMs: 30_000 } });
    const { client, states, errors, until } = openClient({ url: resource.url });
    const notices: TimeoutNotice[] = [];
    client.on('notice', (notice) => notices.push(notice));
    await until(isConnected);

    // Four subscribes at once against a bucket of two: two refusals in a row count as abuse.
    const [a, b, c, d] = ['job-a', 'job-b', 'job-c', 'job-d'].map((jobId) => record(client, jobId));
    const reconnecting = await until((state) => state.status === 'reconnecting');
    expect(notices.map((n) => n.reason)).toEqual(['rate-limited']);
    expect(errors.map((e) => e.code)).toContain('RATE_LIMITED');
    expect(reconnecting).toMatchObject({ reason: 'rate-limited' });
    expect(reconnecting.status === 'reconnecting' && reconnecting.delayMs).toBeGreaterThanOrEqual(notices[0]?.retryAfterMs ?? Number.NaN);

    // While away, the application drops two jobs: only the other two come back.
    c?.handle.unsubscribe();
    d?.handle.unsubscribe();
    await until(isConnected);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(2));
    await resource.server.update('job-a', { status: 'running' });
    await resource.server.update('job-b', { status: 'running' });
    await vi.waitFor(() => expect([a?.seqs, b?.seqs]).toEqual([[1], [1]]));
    expect([c?.updates, d?.updates]).toEqual([[], []]);
    expect(states.filter((s) => s.status === 'reconnecting')).toHaveLength(1);
  });

  it('reconnects at once after a session-expired notice, but at most once per minDelayMs from a server that sends one on every connect', async () => {
    let connections = 0;
    const url = await startMisbehavingServer((socket) => {
      connections += 1;
      socket.emit('server-timeout-notice', { reason: 'session-expired', graceMs: 1000, reconnect: true }, () => undefined);
    });
    const { states } = openClient({ url, socketOptions: { transports: ['websocket'] }, reconnect: { initialDelayMs: 50, maxDelayMs: 500, minDelayMs: 100 } });
    await vi.waitFor(() => expect(states.filter((s) => s.status === 'reconnecting').length).toBeGreaterThanOrEqual(4));
    const delays = states.flatMap((s) => (s.status === 'reconnecting' ? [s.delayMs] : []));
    expect(delays[0]).toBe(0);
    // The notice arrives within milliseconds of each connect: every later reconnect waits the floor.
    for (const delayMs of delays.slice(1)) expect(delayMs).toBe(100);
    expect(connections).toBeLessThanOrEqual(delays.length + 1);
  });
});
