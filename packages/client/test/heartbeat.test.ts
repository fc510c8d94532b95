import { describe, expect, it, vi } from 'vitest';
import { isConnected, openClient, record } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer } from './support/misbehaving-server';

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

  it("follows the server's advertised timing: a client set for 50 ms against a server at 300 ms never reconnects", async () => {
    const resource = await startJobServer({ heartbeat: { intervalMs: 300, timeoutMs: 200 } });
    let probes = 0;
    resource.server.io.on('connection', (socket) => {
      socket.onAnyOutgoing((event) => {
        if (event === 'heartbeat') probes += 1;
      });
    });
    const { states, errors, until } = openClient({ url: resource.url, heartbeat: { intervalMs: 50, graceMs: 0 } });
    await until(isConnected);
    // Four intervals of the server: with its own 50 ms bound the client would have dropped the connection many times.
    await vi.waitFor(() => expect(probes).toBeGreaterThanOrEqual(5), { timeout: 5000, interval: 50 });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'connected']);
    expect(errors).toEqual([]);
    expect(resource.server.counters().heartbeatTimeouts).toBe(0);
  });

  it('detects a server that keeps TCP open but stopped sending heartbeats by the bound the server advertised, and reconnects', async () => {
    let connections = 0;
    // The server advertises 100 ms + 100 ms in its welcome heartbeat (which asks for no answer, as a job server's does),
    // then goes silent; the client's own bound is 30.1 s.
    const url = await startMisbehavingServer((socket) => {
      connections += 1;
      socket.emit('heartbeat', { ts: Date.now(), intervalMs: 100, timeoutMs: 100 });
    });
    const { states, errors, until } = openClient({ url, heartbeat: { intervalMs: 30_000, graceMs: 100 } });
    const connected = await until(isConnected);
    const detected = await until((state) => state.status === 'reconnecting');
    expect(detected).toMatchObject({ reason: 'heartbeat-timeout', error: { code: 'TIMEOUT' } });
    expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
    // Nothing in between: the drop came from the watchdog, not from the transport.
    expect(states.slice(states.indexOf(connected) + 1, states.indexOf(detected))).toEqual([]);
    await until((state) => state.status === 'connected' && states.includes(detected));
    expect(connections).toBe(2);
  });
});
