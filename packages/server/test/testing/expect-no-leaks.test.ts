import { describe, expect, it, vi } from 'vitest';
import { createJobServer } from '../../src/index';
import { expectNoLeaks, JobServerLeakError, openSubscribedClients, startTestJobServer, TestKitOptionError } from '../../src/testing/index';
import { installLeakCheck } from '../support/leak-check';
import { connectClient } from '../support/test-client';

installLeakCheck();

describe('expectNoLeaks', () => {
  it('resolves once closed clients are released by the server', async () => {
    await using server = await startTestJobServer();
    const clients = await openSubscribedClients(server, { count: 5, jobId: ['a', 'b'] });
    clients.close();
    await expectNoLeaks(server);
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, watchedJobs: 0, rateLimitRecords: 0, timers: 2 });
  });

  it('throws JobServerLeakError naming each registry and its count while a subscribed client is still connected', async () => {
    await using server = await startTestJobServer();
    await using _clients = await openSubscribedClients(server, { count: 1, jobId: 'report-7' });
    const error = await expectNoLeaks(server, { timeoutMs: 100 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(JobServerLeakError);
    const leak = error as JobServerLeakError;
    // Its rate-limit bucket is named too unless it refilled and the test server's sweep (every 100 ms) dropped it already.
    expect(leak.message).toMatch(
      /^the job server still holds, 100 ms after expectNoLeaks started: connections 1, connectionsByIp 1, subscriptions 1, (rateLimitRecords 1, )?watchedJobs 1$/,
    );
    expect(leak.leftovers.filter(({ name }) => name !== 'rateLimitRecords')).toEqual([
      { name: 'connections', count: 1, allowed: 0 },
      { name: 'connectionsByIp', count: 1, allowed: 0 },
      { name: 'subscriptions', count: 1, allowed: 0 },
      { name: 'watchedJobs', count: 1, allowed: 0 },
    ]);
    expect(leak.stats).toMatchObject({ connections: 1, subscriptions: 1, timers: 2 });
  });

  it('keeps its own time under fake timers: throws once its timeout ran out in real time, and resolves once the registries drained', async () => {
    await using server = await startTestJobServer();
    await using clients = await openSubscribedClients(server, { count: 1, jobId: 'faked-1' });
    vi.useFakeTimers();
    try {
      await expect(expectNoLeaks(server, { timeoutMs: 100 })).rejects.toBeInstanceOf(JobServerLeakError);
      clients.close();
      await expectNoLeaks(server, { timeoutMs: 5000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('names a job the store keeps and accepts it within `allow`', async () => {
    await using server = await startTestJobServer();
    await server.update('still-running', { status: 'running', progress: 40 });
    await expect(expectNoLeaks(server, { timeoutMs: 300 })).rejects.toThrow(/: jobs 1$/);
    await expectNoLeaks(server, { allow: { jobs: 1 } });
    await server.update('also-running', { status: 'running' });
    await expect(expectNoLeaks(server, { timeoutMs: 50, allow: { jobs: 1 } })).rejects.toThrow(/: jobs 2 \(allowed 1\)$/);
  });

  it('expects no timer at all from a closed server, and the ticker and sweeper from a running one', async () => {
    const server = createJobServer();
    await server.listen();
    await expectNoLeaks(server, { timeoutMs: 0 });
    await server.close();
    await expectNoLeaks(server, { timeoutMs: 0 });
    expect(server.stats().timers).toBe(0);
  });

  it('names a timer beyond the ticker and the sweeper: the deadline of a notice nobody acknowledged', async () => {
    await using server = await startTestJobServer({ session: { idleTimeoutMs: 1 } });
    const silent = await connectClient(server.url, { answerNotices: false });
    await vi.waitFor(() => expect(silent.notices).toMatchObject([{ reason: 'idle' }]));
    await expect(expectNoLeaks(server, { timeoutMs: 0 })).rejects.toThrow(/pendingNotices 1.*, timers 3 \(allowed 2\)$/);
    // The server disconnects it once the grace is over, and its deadline timer goes with it.
    await expectNoLeaks(server);
  });

  it('refuses a timeout that is not a whole number of ms', async () => {
    await using server = await startTestJobServer();
    await expect(expectNoLeaks(server, { timeoutMs: -5 })).rejects.toThrow(TestKitOptionError);
    await expect(expectNoLeaks(server, { timeoutMs: Number.NaN })).rejects.toThrow('timeoutMs must be a whole number from 0 up (got NaN)');
  });
});
