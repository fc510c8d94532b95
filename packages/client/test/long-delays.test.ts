import { describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS } from '../src/timer-delay';
import { openClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer, startRawServer } from './support/misbehaving-server';
import { spyOnTimers } from './support/timer-spy';

installLeakCheck();

/** About 34.7 days: a valid `retryAfterMs` (an integer >= 0), beyond setTimeout's longest delay. */
const HUGE_MS = 3_000_000_000;

describe("delays beyond setTimeout's longest (2^31-1 ms)", () => {
  it('a handshake refused SHUTTING_DOWN with a huge retryAfterMs waits the longest delay setTimeout honours, not 1 ms', async () => {
    const { io, url } = await startRawServer();
    let handshakes = 0;
    io.use((_socket, next) => {
      handshakes += 1;
      next(Object.assign(new Error('going away'), { data: { code: 'SHUTTING_DOWN', message: 'going away', retryAfterMs: HUGE_MS } }));
    });
    const { delays } = spyOnTimers();
    const { until } = openClient({ url });

    const reconnecting = await until((state) => state.status === 'reconnecting');
    expect(reconnecting).toMatchObject({ delayMs: MAX_TIMER_DELAY_MS, reason: 'connect-failed', error: { code: 'SHUTTING_DOWN' } });
    expect(delays).toContain(MAX_TIMER_DELAY_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    expect(handshakes).toBe(1);
  });

  it('a subscribe-job refused RATE_LIMITED with a huge retryAfterMs pauses requests instead of resending at once', async () => {
    let requests = 0;
    const url = await startMisbehavingServer((socket) => {
      socket.on('subscribe-job', (_request: unknown, ack: (reply: unknown) => void) => {
        requests += 1;
        ack({ ok: false, error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: HUGE_MS } });
      });
    });
    const { delays } = spyOnTimers();
    const { client, errors } = openClient({ url });
    client.subscribe('job-1');

    await vi.waitFor(() => expect(errors.map((error) => error.code)).toContain('RATE_LIMITED'));
    expect(delays).toContain(MAX_TIMER_DELAY_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    expect(requests).toBe(1);
  });

  it('a welcome heartbeat advertising intervalMs 2^31-1 (valid on the wire) arms the watchdog for the longest delay, not 1 ms', async () => {
    let connections = 0;
    let answered: () => void = () => {};
    const heartbeatAnswered = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const url = await startMisbehavingServer((socket) => {
      connections += 1;
      // The client re-arms its watchdog before it answers: once the answer is in, the delay is known.
      socket.emit('heartbeat', { ts: Date.now(), intervalMs: MAX_TIMER_DELAY_MS, timeoutMs: 60_000 }, () => answered());
    });
    const { delays } = spyOnTimers();
    const { client } = openClient({ url });
    await heartbeatAnswered;
    expect(delays).toContain(MAX_TIMER_DELAY_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    expect(client.state.status).toBe('connected');
    expect(connections).toBe(1);
  });

  it('waitFor with timeoutMs of 30 days keeps waiting and resolves when the job completes', async () => {
    const resource = await startJobServer();
    const { delays } = spyOnTimers();
    const { client } = openClient({ url: resource.url });
    const done = client.waitFor('long-job', { timeoutMs: 30 * 24 * 3600_000 });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('long-job', { status: 'completed' });
    await expect(done).resolves.toMatchObject({ jobId: 'long-job', status: 'completed' });
    expect(delays).toContain(MAX_TIMER_DELAY_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
  });
});
