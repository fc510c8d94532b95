import { describe, expect, it, vi } from 'vitest';
import { useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient } from './support/test-client';

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

  it('ignores a heartbeat answer with the wrong ts and still drops the connection', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now });
    const liar = await connectClient(url, { answerHeartbeats: false });
    liar.socket.on('heartbeat', (_probe, ack) => ack({ ts: 1 }));
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.waitFor(() => expect(server.counters().invalidHeartbeatAnswers).toBe(1));
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.waitFor(() => expect(liar.socket.connected).toBe(false));
    expect(server.stats()).toMatchObject({ connections: 0, pendingAcks: 0 });
  });
});
