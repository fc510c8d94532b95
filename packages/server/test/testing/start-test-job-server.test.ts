import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { JobServerOptionsError } from '../../src/index';
import { expectNoLeaks, openSubscribedClients, startTestJobServer, TEST_JOB_SERVER_DEFAULTS } from '../../src/testing/index';
import { installLeakCheck, ZERO_STATS } from '../support/leak-check';

installLeakCheck();

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startTestJobServer', () => {
  it('listens on an ephemeral port of 127.0.0.1 and `await using` closes it with every registry at zero', async () => {
    let closed;
    {
      await using server = await startTestJobServer();
      closed = server;
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const clients = await openSubscribedClients(server, { count: 2 });
      expect(server.stats()).toMatchObject({ connections: 2, subscriptions: 2 });
      clients.close();
    }
    expect(closed.stats()).toEqual(ZERO_STATS);
    expect(closed.health().status).toBe('shutting-down');
    expect(await accepts(closed.port)).toBe(false);
  });

  it('drops a finished job nobody watches at the next sweep, so the job registry drains in a test', async () => {
    await using server = await startTestJobServer();
    await server.update('export-1', { status: 'completed' });
    expect(server.stats().jobs).toBe(1);
    await expectNoLeaks(server, { timeoutMs: 20 * TEST_JOB_SERVER_DEFAULTS.sweep.intervalMs });
    expect(server.stats().jobs).toBe(0);
  });

  it('takes options group by group over the test timings, keeping the other test timings of the group', async () => {
    await using server = await startTestJobServer({ sweep: { intervalMs: 60_000 } });
    await server.update('export-2', { status: 'completed' });
    // The sweep no longer runs within the test, but the retention of the group is still the test's 0 ms.
    expect(await server.maintenance.purgeStaleJobs()).toBe(1);
    await expect(startTestJobServer({ sweep: { intervalMs: -1 } })).rejects.toThrow(JobServerOptionsError);
  });
});
