import type { Heartbeat } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import type { DisconnectEvent } from '../src/index';
import { useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, createTestClient } from './support/test-client';

installLeakCheck();

describe('heartbeat', () => {
  it('probes every 30 s, keeps clients that answer and drops one that stays silent for 10 s', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now });
    const disconnects: string[] = [];
    server.on('disconnect', ({ reason }) => disconnects.push(reason));
    const alive = await connectClient(url);
    const silent = await connectClient(url, { answerHeartbeats: false });
    const probes: number[] = [];
    alive.socket.on('heartbeat', ({ ts }) => probes.push(ts));

    await vi.advanceTimersByTimeAsync(29_999);
    expect(server.stats().pendingAcks).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.stats().pendingAcks).toBe(2);
    await vi.waitFor(() => expect(server.stats().pendingAcks).toBe(1));
    expect(probes).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(10_000);
    await vi.waitFor(() => expect(silent.disconnectReasons).toEqual(['io server disconnect']));
    expect(disconnects).toEqual(['heartbeat-timeout']);
    expect(server.counters().heartbeatTimeouts).toBe(1);
    expect(server.stats()).toMatchObject({ connections: 1, pendingAcks: 0 });

    await vi.advanceTimersByTimeAsync(20_000);
    await vi.waitFor(() => expect(probes).toHaveLength(2));
    await vi.waitFor(() => expect(server.stats().pendingAcks).toBe(0));
    expect(alive.socket.connected).toBe(true);
  });

  it('goes on probing every 30 s, and timing out the silent, after the wall clock went back an hour', async () => {
    const fake = useFakeClock();
    let offset = 0;
    const { server, url } = await startJobServer({ now: () => fake.now() + offset });
    const alive = await connectClient(url);
    const silent = await connectClient(url, { answerHeartbeats: false });
    const probes: number[] = [];
    alive.socket.on('heartbeat', (_probe, ack) => {
      if (ack) probes.push(fake.now());
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(probes).toHaveLength(1));
    // The silent client's probe is pending as the clock is set back an hour (an NTP step, a VM resumed).
    offset = -3_600_000;
    // Timed from the first tick that sees the clock back (5 s later at most): dropped within 15 s.
    await vi.advanceTimersByTimeAsync(15_000);
    await vi.waitFor(() => expect(silent.disconnectReasons).toEqual(['io server disconnect']));
    for (let round = 0; round < 3; round += 1) await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(probes.length).toBeGreaterThanOrEqual(4));
    expect(alive.socket.connected).toBe(true);
    expect(server.counters().heartbeatTimeouts).toBe(1);
  });

  it('keeps alive apart from active: answering heartbeats does not count as activity', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: { intervalMs: 1000, timeoutMs: 1000 }, session: { idleTimeoutMs: 3000, noticeGraceMs: 1000 }, sweep: { intervalMs: 4000 } });
    const client = await connectClient(url);
    for (let second = 0; second < 3; second += 1) {
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(server.stats().pendingAcks).toBe(0));
    }
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(client.notices.map((notice) => notice.reason)).toEqual(['idle']));
    await vi.waitFor(() => expect(client.socket.connected).toBe(false));
  });

  it('sends a welcome heartbeat with its timing right on connect, and advertises the timing in every round', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: { intervalMs: 4000, timeoutMs: 2000 } });
    const client = createTestClient(url);
    const probes: Heartbeat[] = [];
    const askedForAnswer: boolean[] = [];
    client.socket.on('heartbeat', (probe, ack) => {
      probes.push(probe);
      askedForAnswer.push(typeof ack === 'function');
    });
    client.socket.connect();
    await vi.waitFor(() => expect(probes).toEqual([{ ts: expect.any(Number), intervalMs: 4000, timeoutMs: 2000 }]));
    // The welcome heartbeat is not a probe: it asks for no answer, and nothing is pending.
    expect(askedForAnswer).toEqual([false]);
    expect(server.stats().pendingHeartbeats).toBe(0);
    await vi.advanceTimersByTimeAsync(4000);
    await vi.waitFor(() => expect(probes).toEqual([expect.anything(), { ts: expect.any(Number), intervalMs: 4000, timeoutMs: 2000 }]));
    expect(askedForAnswer).toEqual([false, true]);
    expect(probes[1]!.ts).toBeGreaterThan(probes[0]!.ts);
    await vi.waitFor(() => expect(server.stats().pendingHeartbeats).toBe(0));
    expect(server.counters()).toMatchObject({ heartbeatTimeouts: 0, invalidHeartbeatAnswers: 0 });
  });

  it('ignores a probe answer with the wrong ts and still drops the connection', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now });
    const liar = createTestClient(url, { answerHeartbeats: false });
    const heartbeats: Heartbeat[] = [];
    liar.socket.on('heartbeat', (probe, ack) => {
      heartbeats.push(probe);
      ack?.({ ts: 1 });
    });
    liar.socket.connect();
    // The welcome heartbeat asks for no answer, so there is none to count.
    await vi.waitFor(() => expect(heartbeats).toHaveLength(1));
    expect(server.counters().invalidHeartbeatAnswers).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(server.counters().invalidHeartbeatAnswers).toBe(1));
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.waitFor(() => expect(liar.socket.connected).toBe(false));
    expect(server.stats()).toMatchObject({ connections: 0, pendingAcks: 0 });
  });

  it('reports when a connection was last alive and last active on disconnect: a heartbeat answer moves lastAliveAt, not lastActivityAt', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now });
    const connectedAt = now();
    const disconnects: DisconnectEvent[] = [];
    server.on('disconnect', (event) => disconnects.push(event));
    const client = await connectClient(url);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.stats()).toMatchObject({ pendingHeartbeats: 1, pendingNotices: 0 });
    await vi.waitFor(() => expect(server.stats().pendingHeartbeats).toBe(0));

    client.socket.disconnect();
    await vi.waitFor(() => expect(disconnects).toHaveLength(1));
    const [event] = disconnects;
    expect(event).toMatchObject({ socketId: expect.any(String), ip: '127.0.0.1', reason: 'client namespace disconnect', connectedAt, lastActivityAt: connectedAt });
    // Answered after the probe went out at +30 s (vi.waitFor moves the fake clock while it polls).
    expect(event?.lastAliveAt).toBeGreaterThanOrEqual(connectedAt + 30_000);
  });

  it('counts pending heartbeats and pending notices apart', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now });
    await connectClient(url, { answerHeartbeats: false, answerNotices: false });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.stats()).toMatchObject({ pendingHeartbeats: 1, pendingNotices: 0, pendingAcks: 1 });

    const closing = server.close({ timeoutMs: 300 });
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ pendingHeartbeats: 1, pendingNotices: 1, pendingAcks: 2 }));
    await closing;
    expect(server.stats()).toMatchObject({ pendingHeartbeats: 0, pendingNotices: 0, pendingAcks: 0 });
  });
});
