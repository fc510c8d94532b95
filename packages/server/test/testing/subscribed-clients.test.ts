import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { createJobServer } from '../../src/index';
import { expectNoLeaks, openSubscribedClients, startTestJobServer, TestClientError, TestKitOptionError } from '../../src/testing/index';
import { installLeakCheck } from '../support/leak-check';

installLeakCheck();

describe('openSubscribedClients', () => {
  it('opens real clients spread round-robin over the jobs, each subscribed once it resolves', async () => {
    await using server = await startTestJobServer();
    await server.update('b', { status: 'running', progress: 10 });
    const clients = await openSubscribedClients(server.url, { count: 7, jobId: ['a', 'b', 'c'], concurrency: 3 });

    expect(clients.clients.map((client) => client.jobId)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(clients.clients.every((client) => client.connected)).toBe(true);
    expect(clients.clients[1]!.subscribed).toMatchObject({ ok: true, jobId: 'b', snapshot: { status: 'running', progress: 10 } });
    expect(server.stats()).toMatchObject({ connections: 7, subscriptions: 7, watchedJobs: 3 });

    clients.close();
    expect(clients.clients.some((client) => client.connected)).toBe(false);
    await expectNoLeaks(server, { allow: { jobs: 1 } });
  });

  it('records the updates of each client and waits until every client has as many as asked', async () => {
    await using server = await startTestJobServer();
    await using clients = await openSubscribedClients(server, { count: 4, jobId: ['x', 'y'] });
    await server.update('x', { status: 'running', progress: 50 });
    await expect(clients.waitForUpdates(1, { timeoutMs: 100 })).rejects.toThrow('2 of 4 clients had fewer than 1 job updates after 100 ms');
    await server.update('y', { status: 'completed' });
    await clients.waitForUpdates(1);
    expect(clients.clients.map((client) => client.updates.map((update) => update.status))).toEqual([['running'], ['completed'], ['running'], ['completed']]);
  });

  it('sends the token to authenticate, and a refused client rejects with the protocol code, leaving no connection open', async () => {
    await using server = await startTestJobServer({
      authenticate: ({ auth }) => (auth.token === 'secret' ? 'alice' : null),
      authorizeSubscribe: ({ jobId }) => jobId !== 'private',
    });
    await using _allowed = await openSubscribedClients(server, { count: 2, token: 'secret' });

    const unauthorized = await openSubscribedClients(server, { count: 3, token: 'wrong' }).catch((error: unknown) => error);
    expect(unauthorized).toBeInstanceOf(TestClientError);
    expect(unauthorized).toMatchObject({ code: ErrorCode.UNAUTHORIZED });

    const forbidden = await openSubscribedClients(server, { count: 3, token: 'secret', jobId: ['open', 'private'] }).catch((error: unknown) => error);
    expect(forbidden).toMatchObject({ name: 'TestClientError', code: ErrorCode.FORBIDDEN, message: expect.stringMatching(/^subscribe-job private refused: FORBIDDEN/) });
    await expectNoLeaks(server, { allow: { connections: 2, connectionsByIp: 1, subscriptions: 2, watchedJobs: 1, rateLimitRecords: 2 } });
  });

  it('reaches a server the kit did not start at the address its HTTP server listens on', async () => {
    await using server = createJobServer();
    await server.listen();
    const clients = await openSubscribedClients(server, { count: 2, jobId: 'plain-1' });

    expect(clients.clients.every((client) => client.connected)).toBe(true);
    expect(server.stats()).toMatchObject({ connections: 2, subscriptions: 2 });
    clients.close();
    await expectNoLeaks(server);
  });

  it('refuses a count or job list it cannot open before connecting anything', async () => {
    await using server = await startTestJobServer();
    await expect(openSubscribedClients(server, { count: 0 })).rejects.toThrow(new TestKitOptionError('count', 'must be a whole number from 1 up (got 0)'));
    await expect(openSubscribedClients(server, { count: 1, jobId: [] })).rejects.toThrow(TestKitOptionError);
    expect(server.counters().refusedConnections).toBe(0);
    expect(server.stats().connections).toBe(0);
  });
});
