import { afterEach, describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startChild, stopAllChildren, type ChildResource } from './support/redis-child-process';
import type { SubscribedClientConfig } from './support/subscribed-client-process';

installLeakCheck();

const HEARTBEAT = { intervalMs: 400, timeoutMs: 400 } as const;
// The ticker runs every min(interval, timeout); a loaded 2-core machine may be late by a few hundred ms.
const SCHEDULING_SLACK_MS = 1000;

const frozen: ChildResource[] = [];

afterEach(async () => {
  // Continue frozen clients first, so that every child ends the same way.
  for (const child of frozen.splice(0)) child.process.kill('SIGCONT');
  await stopAllChildren();
});

describe('zombie connections', () => {
  it('detects a client frozen with SIGSTOP within heartbeat interval + timeout and removes all it held', async () => {
    const { server, url } = await startJobServer({ heartbeat: HEARTBEAT });
    const config: SubscribedClientConfig = { url, jobId: 'watched-by-zombie' };
    const zombie = await startChild('subscribed-client-process.ts', { ...config });
    const { socketId } = await zombie.event<{ socketId: string }>('subscribed');
    // Alive first: it answers a probe, so only the freeze can make it miss the next one.
    await zombie.event('heartbeat');
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, subscriptions: 1 });

    const disconnects: { socketId: string; reason: string }[] = [];
    server.on('disconnect', ({ socketId: id, reason }) => disconnects.push({ socketId: id, reason }));
    zombie.process.kill('SIGSTOP');
    frozen.push(zombie);

    await vi.waitFor(() => expect(disconnects).toEqual([{ socketId, reason: 'heartbeat-timeout' }]), {
      timeout: HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + SCHEDULING_SLACK_MS,
      interval: 20,
    });
    expect(server.stats()).toMatchObject({ connections: 0, connectionsByIp: 0, subscriptions: 0, rateLimitRecords: 0, pendingAcks: 0 });
    expect(server.counters().heartbeatTimeouts).toBe(1);
    expect(server.io.of('/').adapter.rooms.size).toBe(0);
  });

  it('keeps delivering to the other subscriber of the job while one is frozen and after it is dropped', async () => {
    const { server, url } = await startJobServer({ heartbeat: HEARTBEAT });
    const zombie = await startChild('subscribed-client-process.ts', { url, jobId: 'shared' });
    const healthy = await startChild('subscribed-client-process.ts', { url, jobId: 'shared' });
    await Promise.all([zombie.event('subscribed'), healthy.event('subscribed'), zombie.event('heartbeat')]);
    zombie.process.kill('SIGSTOP');
    frozen.push(zombie);

    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 }), {
      timeout: HEARTBEAT.intervalMs + HEARTBEAT.timeoutMs + SCHEDULING_SLACK_MS,
      interval: 20,
    });
    await server.update('shared', { status: 'running', progress: 50 });
    expect(await healthy.event('update')).toMatchObject({ seq: 1 });
    expect(server.counters().heartbeatTimeouts).toBe(1);
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
  });
});
