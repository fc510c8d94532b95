import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { openClient } from './support/job-client-resource';
import { installLeakCheck } from './support/leak-check';

installLeakCheck();

/** A URL nothing listens on: every attempt is refused by the OS at once. */
async function deadUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  await new Promise((resolve) => http.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('reconnect backoff schedule', () => {
  it('waits initialDelayMs·factor^(n-1) with full jitter, capped at maxDelayMs, and never retries early', async () => {
    const url = await deadUrl();
    // Only the client's own clock is faked; socket.io keeps native timers so the real refusals arrive.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, until } = openClient({
      url,
      random: () => 0.5,
      reconnect: { initialDelayMs: 1000, factor: 2, maxDelayMs: 4000, minDelayMs: 100 },
      heartbeat: false,
      socketOptions: { transports: ['websocket'], useNativeTimers: true },
    });
    const expectedDelays = [500, 1000, 2000, 2000, 2000];
    for (const [index, delayMs] of expectedDelays.entries()) {
      const attempt = index + 1;
      const waiting = await until((state) => state.status === 'reconnecting' && state.attempt === attempt);
      expect(waiting).toMatchObject({ delayMs, reason: 'connect-failed', error: { code: 'TRANSPORT_ERROR' } });
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(delayMs - 1);
      expect(client.state).toBe(waiting);
      vi.advanceTimersByTime(1);
      expect(client.state).toEqual({ status: 'connecting', url, attempt });
    }
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(client.state).toEqual({ status: 'disconnected', reason: 'closed' });
  });

  it('close() while waiting to reconnect cancels the pending attempt', async () => {
    const url = await deadUrl();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { client, states, until } = openClient({ url, heartbeat: false, socketOptions: { transports: ['websocket'], useNativeTimers: true } });
    await until((state) => state.status === 'reconnecting');
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(states.at(-1)).toEqual({ status: 'disconnected', reason: 'closed' });
    expect(states.filter((s) => s.status === 'connecting')).toHaveLength(1);
  });
});
