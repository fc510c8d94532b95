import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient, record } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';

installLeakCheck();

describe('heartbeat', () => {
  it('answers every heartbeat, so a live server never drops it', async () => {
    const resource = await startJobServer({ heartbeat: { intervalMs: 40, timeoutMs: 200 } });
    let probes = 0;
    resource.server.io.on('connection', (socket) => {
      socket.onAnyOutgoing((event) => {
        if (event === 'heartbeat') probes += 1;
      });
    });
    const { states, until } = openClient({ url: resource.url, heartbeat: { intervalMs: 40, graceMs: 400 } });
    await until(isConnected);
    await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(6), { timeout: 3000 });
    expect(resource.server.counters()).toMatchObject({ heartbeatTimeouts: 0, invalidHeartbeatAnswers: 0 });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connected']);
  });

  it('detects a server that keeps TCP open but stopped sending heartbeats, and reconnects', async () => {
    // The server would probe only every 10 minutes: from the client's side it has gone silent.
    const resource = await startJobServer({ heartbeat: { intervalMs: 600_000 } });
    const { client, states, errors, until } = openClient({ url: resource.url, heartbeat: { intervalMs: 100, graceMs: 100 } });
    const watched = record(client, 'silent-job');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('silent-job', { status: 'running' });

    const detected = await until((state) => state.status === 'reconnecting');
    expect(detected).toMatchObject({ reason: 'heartbeat-timeout', error: { code: 'TIMEOUT' } });
    expect(errors.map((e) => e.code)).toContain('TIMEOUT');
    await until((state) => state.status === 'connected' && states.includes(detected));
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('silent-job', { status: 'completed' });
    await vi.waitFor(() => expect(watched.ends).toBe(1));
    expect(watched.seqs).toEqual([1, 2]);
    const firstConnected = states.findIndex((s) => s.status === 'connected');
    const detectedAt = states.indexOf(detected);
    // Nothing in between: the drop came from the watchdog, not from the transport.
    expect(states.slice(firstConnected + 1, detectedAt)).toEqual([]);
  });
});
