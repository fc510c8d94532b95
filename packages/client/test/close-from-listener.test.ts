import { describe, expect, it, vi } from 'vitest';
import type { JobClient, JobClientEvents } from '../src/index';
import { isConnected, openClient } from './support/job-client-resource';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startMisbehavingServer } from './support/misbehaving-server';
import { spyOnTimers, type TimerSpy } from './support/timer-spy';

installLeakCheck();

const CLOSED = { status: 'disconnected', reason: 'closed' } as const;
const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 50, minDelayMs: 20 } } as const;

/** Calls `close()` from the client's own `event` listener the first time `when` holds; resolves once it did. */
function closeFrom<E extends keyof JobClientEvents>(client: JobClient, event: E, when: (...args: Parameters<JobClientEvents[E]>) => boolean = () => true): Promise<void> {
  return new Promise((resolve) => {
    const listener = (...args: Parameters<JobClientEvents[E]>): void => {
      if (!when(...args)) return;
      void client.close();
      resolve();
    };
    client.on(event, listener as JobClientEvents[E]);
  });
}

/** An auth function that gives `answer()` and counts its calls. */
function countingAuth(answer: () => string | Promise<string>): { auth: () => string | Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    auth: () => {
      calls += 1;
      return answer();
    },
    calls: () => calls,
  };
}

/**
 * The close stuck: the state stays `closed` and every timer armed since the client was created goes (the sockets'
 * as they close, on both ends), so no reconnect, resubscribe or watchdog can fire later. Without the fix a timer
 * (retry, watchdog, pacer) stays armed, or a new socket's are.
 */
async function expectClosedForGood(client: JobClient, timers: TimerSpy): Promise<void> {
  expect(client.state).toEqual(CLOSED);
  await vi.waitFor(() => expect(timers.pending()).toBe(0), { timeout: 2000, interval: 10 });
  expect(client.state).toEqual(CLOSED);
}

describe('close() called from a client event listener sticks', () => {
  it("in an 'error' listener for a refused handshake (stop when the token is refused): no reconnect", async () => {
    let handshakes = 0;
    const resource = await startJobServer({
      authenticate: () => {
        handshakes += 1;
        return null;
      },
    });
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, ...fast });
    await closeFrom(client, 'error', (error) => error.code === 'UNAUTHORIZED');
    await expectClosedForGood(client, timers);
    expect(handshakes).toBe(1);
  });

  it("in an 'error' listener for a failing auth function: no reconnect, auth not called again", async () => {
    const resource = await startJobServer();
    const { auth, calls } = countingAuth(() => {
      throw new Error('no token');
    });
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, ...fast, auth });
    await closeFrom(client, 'error');
    await expectClosedForGood(client, timers);
    expect(calls()).toBe(1);
  });

  it("in an 'error' listener for a connection attempt past connectTimeoutMs: no reconnect", async () => {
    const resource = await startJobServer();
    const { auth, calls } = countingAuth(() => new Promise<string>(() => {}));
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, ...fast, connectTimeoutMs: 100, auth });
    await closeFrom(client, 'error', (error) => error.code === 'TIMEOUT');
    await expectClosedForGood(client, timers);
    expect(calls()).toBe(1);
  });

  it("in a 'reconnecting' listener (give up after N attempts): the scheduled attempt is cancelled", async () => {
    const resource = await startJobServer();
    await resource.stop();
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, ...fast });
    await closeFrom(client, 'reconnecting', (state) => state.attempt >= 2);
    await expectClosedForGood(client, timers);
  });

  it("in a 'connecting' listener: the auth function is not called", async () => {
    const resource = await startJobServer();
    const { auth, calls } = countingAuth(() => 'token');
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, autoConnect: false, auth });
    const closed = closeFrom(client, 'connecting');
    client.connect();
    await closed;
    await expectClosedForGood(client, timers);
    expect(calls()).toBe(0);
    expect(resource.server.stats().connections).toBe(0);
  });

  it("in a 'connecting' listener run by the first waitFor(), watch() or subscribe(): each one still ends CLOSED", async () => {
    const resource = await startJobServer();
    const timers = spyOnTimers();
    for (const start of ['waitFor', 'watch', 'subscribe'] as const) {
      const { client } = openClient({ url: resource.url, autoConnect: false });
      const closed = closeFrom(client, 'connecting');
      let outcome: Promise<unknown>;
      if (start === 'waitFor') outcome = client.waitFor('job-1').catch((error: unknown) => error);
      else if (start === 'watch') outcome = client.watch('job-1').next().catch((error: unknown) => error);
      else {
        const handle = client.subscribe('job-1');
        outcome = new Promise((resolve) => handle.on('end', (ended) => resolve(ended.kind === 'error' ? ended.error : ended)));
      }
      await closed;
      await expect(outcome).resolves.toMatchObject({ code: 'CLOSED' });
      expect(client.state).toEqual(CLOSED);
    }
    await vi.waitFor(() => expect(timers.pending()).toBe(0), { timeout: 2000, interval: 10 });
    expect(resource.server.stats().connections).toBe(0);
  });

  it("in a 'connected' listener: the heartbeat watchdog is not left armed", async () => {
    const resource = await startJobServer();
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url });
    await closeFrom(client, 'connected');
    await expectClosedForGood(client, timers);
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
  });

  it("in a 'state' listener on connected, with a subscription waiting: it ends CLOSED and nothing stays armed", async () => {
    const resource = await startJobServer();
    const timers = spyOnTimers();
    const { client } = openClient({ url: resource.url, autoConnect: false });
    const subscription = client.subscribe('job-1');
    await closeFrom(client, 'state', (state) => state.status === 'connected');
    await expectClosedForGood(client, timers);
    expect(subscription.outcome).toMatchObject({ kind: 'error', error: { code: 'CLOSED' } });
    expect(resource.server.stats().subscriptions).toBe(0);
  });

  it("in a 'notice' listener for session-expired: no reconnect", async () => {
    let time = Date.now();
    let handshakes = 0;
    const resource = await startJobServer({
      now: () => time,
      session: { maxInactivityMs: 1000 },
      authenticate: () => {
        handshakes += 1;
        return { user: 'u1' };
      },
    });
    const timers = spyOnTimers();
    const { client, until } = openClient({ url: resource.url, ...fast });
    client.subscribe('session-job');
    await until(isConnected);
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    const closed = closeFrom(client, 'notice', (notice) => notice.reason === 'session-expired');
    time += 5000;
    await resource.server.maintenance.disconnectInactive();
    await closed;
    await expectClosedForGood(client, timers);
    expect(handshakes).toBe(1);
  });

  it("in an 'error' listener for a heartbeat timeout: no reconnect", async () => {
    let connections = 0;
    const url = await startMisbehavingServer(() => {
      connections += 1; // and never a heartbeat
    });
    const timers = spyOnTimers();
    const { client } = openClient({ url, ...fast, heartbeat: { intervalMs: 50, graceMs: 50 } });
    await closeFrom(client, 'error', (error) => error.code === 'TIMEOUT');
    await expectClosedForGood(client, timers);
    expect(connections).toBe(1);
  });

  it.each<[code: 'RATE_LIMITED' | 'OVERLOADED', proves: string]>([
    ['RATE_LIMITED', 'the request pacer is not paused'],
    ['OVERLOADED', 'no resubscribe is scheduled'],
  ])("in an 'error' listener for a subscribe-job refused %s: %s", async (code) => {
    const url = await startMisbehavingServer((socket) => {
      socket.on('subscribe-job', (_request: unknown, ack: (reply: unknown) => void) => {
        ack({ ok: false, error: { code, message: 'not now', retryAfterMs: 60_000 } });
      });
    });
    const timers = spyOnTimers();
    const { client } = openClient({ url });
    client.subscribe('job-1');
    await closeFrom(client, 'error', (error) => error.code === code);
    await expectClosedForGood(client, timers);
  });
});
