import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { DisconnectEvent } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, MINUTE, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

describe('inactivity', () => {
  it("disconnects a connection that does not acknowledge its notice at the notice's graceMs, by the notice timer and not by the ticker", async () => {
    // The ticker is a fake interval that never fires here; the server's clock is the real one.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, session: { idleTimeoutMs: 1, noticeGraceMs: 200 } });
    const reasons: string[] = [];
    server.on('disconnect', ({ reason }) => reasons.push(reason));
    const deaf = await connectClient(url, { answerNotices: false });
    await vi.waitFor(() => expect(server.maintenance.inactiveConnections()).toBe(1));
    const disconnected = server.maintenance.disconnectInactive();
    // The ticker, the sweeper and the one notice deadline timer.
    expect(server.stats()).toMatchObject({ pendingNotices: 1, timers: 3 });
    // Told to leave, it is in its grace period: not counted as one to drop, as disconnectInactive() would not drop it again.
    expect(server.maintenance.inactiveConnections()).toBe(0);
    expect(await server.maintenance.disconnectInactive()).toBe(0);
    expect(await disconnected).toBe(1);
    await vi.waitFor(() => expect(deaf.disconnectReasons).toEqual(['io server disconnect']));
    expect(deaf.notices).toEqual([{ reason: 'idle', graceMs: 200, reconnect: false }]);
    expect(reasons).toEqual(['idle']);
    expect(server.stats()).toMatchObject({ connections: 0, pendingNotices: 0, timers: 2 });
  });

  it('tells a connection idle for 2 h "idle" at the next sweep and disconnects it once it acknowledges', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const reasons: string[] = [];
    server.on('disconnect', ({ reason }) => reasons.push(reason));
    const idle = await connectClient(url);

    await vi.advanceTimersByTimeAsync(2 * HOUR - 5 * MINUTE);
    expect(idle.notices).toEqual([]);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(idle.disconnectReasons).toEqual(['io server disconnect']));
    expect(idle.notices).toEqual([{ reason: 'idle', graceMs: 5000, reconnect: false }]);
    expect(reasons).toEqual(['idle']);
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, rateLimitRecords: 0, pendingAcks: 0 });
  });

  it('does not call a connection that watches a job idle, but ends its session after 24 h without activity', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const watcher = await connectClient(url);
    await subscribe(watcher, { jobId: 'never-starts' });

    await vi.advanceTimersByTimeAsync(24 * HOUR - 5 * MINUTE);
    expect(watcher.notices).toEqual([]);
    expect(server.stats().subscriptions).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(watcher.socket.connected).toBe(false));
    expect(watcher.notices).toEqual([{ reason: 'session-expired', graceMs: 5000, reconnect: true }]);
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, watchedJobs: 0, rateLimitRecords: 0, pendingAcks: 0 });
  });

  it('counts job updates delivered to a watcher as activity', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, sweep: { staleJobMs: 48 * HOUR } });
    const watcher = await connectClient(url);
    await subscribe(watcher, { jobId: 'slow' });
    for (let hour = 0; hour < 25; hour += 1) {
      await vi.advanceTimersByTimeAsync(HOUR);
      await server.update('slow', { status: 'running' });
    }
    expect(watcher.notices).toEqual([]);
    expect(watcher.socket.connected).toBe(true);
  });

  it("keeps a watcher that only receives updates active while its job updates, ends its session once they stop, and reports the last update as its last activity", async () => {
    const { now } = useFakeClock();
    const session = { maxInactivityMs: 10 * MINUTE };
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, session, sweep: { intervalMs: MINUTE } });
    const disconnects: DisconnectEvent[] = [];
    server.on('disconnect', (event) => disconnects.push(event));
    const watcher = await connectClient(url);
    const quiet = await connectClient(url);
    const received: JobUpdate[] = [];
    watcher.socket.on('job-update', (update) => received.push(update));
    await subscribe(watcher, { jobId: 'busy' });
    await subscribe(quiet, { jobId: 'quiet' });
    const subscribedAt = now();

    // Updates every 8 min keep the watcher (which sends nothing) past 10 min; they do not count for the other job's watcher.
    let last: JobUpdate | undefined;
    for (let update = 1; update <= 3; update += 1) {
      await vi.advanceTimersByTimeAsync(8 * MINUTE);
      last = await server.update('busy', { status: 'running', progress: update });
      await vi.waitFor(() => expect(received).toHaveLength(update));
    }
    expect(watcher.notices).toEqual([]);
    expect(quiet.notices).toEqual([{ reason: 'session-expired', graceMs: 5000, reconnect: true }]);
    await vi.waitFor(() => expect(disconnects).toHaveLength(1));
    expect(disconnects[0]).toMatchObject({ reason: 'session-expired', lastActivityAt: subscribedAt });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1, watchedJobs: 1 });

    // Without updates, its session ends maxInactivityMs after the last one it was delivered.
    await vi.advanceTimersByTimeAsync(session.maxInactivityMs - MINUTE);
    expect(watcher.notices).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    await vi.waitFor(() => expect(disconnects).toHaveLength(2));
    expect(watcher.notices).toEqual([{ reason: 'session-expired', graceMs: 5000, reconnect: true }]);
    expect(disconnects[1]).toMatchObject({ reason: 'session-expired', lastActivityAt: last?.at });
    // The job's update time went with its last watcher.
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, watchedJobs: 0, pendingAcks: 0 });
  });

  it('disconnects a client that never acknowledges the notice after the grace period, leaving no pending ack', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const deaf = await connectClient(url, { answerNotices: false });

    await vi.advanceTimersByTimeAsync(2 * HOUR);
    await vi.waitFor(() => expect(deaf.notices).toHaveLength(1));
    expect(server.stats().pendingAcks).toBe(1);
    // vi.waitFor advanced the fake clock a little; the grace deadline is 5 s after the notice.
    await vi.advanceTimersByTimeAsync(4_000);
    expect(deaf.socket.connected).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(deaf.socket.connected).toBe(false));
    expect(server.stats()).toMatchObject({ connections: 0, pendingAcks: 0 });
  });

  it('lets the memory monitor drop inactive connections on demand', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, sweep: { intervalMs: 24 * HOUR } });
    const idle = await connectClient(url);
    const busy = await connectClient(url);
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    await subscribe(busy, { jobId: 'busy' });
    expect(await server.maintenance.disconnectInactive()).toBe(1);
    expect(server.stats().connections).toBe(1);
    await vi.waitFor(() => expect(idle.socket.connected).toBe(false));
    expect(busy.socket.connected).toBe(true);
  });
});
