import type { JobExpired } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { MemoryJobStore } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, MINUTE, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

describe('sweep', () => {
  it('purges a non-terminal job 1 h after its last update and tells its subscribers job-expired', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const watcher = await connectClient(url);
    const expired: JobExpired[] = [];
    watcher.socket.on('job-expired', (notice) => expired.push(notice));
    await server.update('stuck', { status: 'running', progress: 3 });
    await server.update('stuck', { status: 'running', progress: 4 });
    await subscribe(watcher, { jobId: 'stuck' });
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    await server.update('alive', { status: 'running' });

    await vi.advanceTimersByTimeAsync(25 * MINUTE);
    expect(await server.getJob('stuck')).not.toBeNull();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(expired).toEqual([{ jobId: 'stuck', lastSeq: 2, reason: 'stale' }]));
    expect(await server.getJob('stuck')).toBeNull();
    expect(await server.getJob('alive')).not.toBeNull();
    expect(server.stats()).toMatchObject({ jobs: 1, subscriptions: 0, connections: 1 });
  });

  it('purges a finished job 5 min after its terminal update', async () => {
    const { now } = useFakeClock();
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    await vi.advanceTimersByTimeAsync(MINUTE);
    await server.update('done', { status: 'completed' });
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(server.stats().jobs).toBe(1);
    // The sweep at minute 5 saw it 4 min old; the one at minute 10 sees it 9 min old.
    await vi.advanceTimersByTimeAsync(6 * MINUTE);
    await vi.waitFor(() => expect(server.stats().jobs).toBe(0));
  });

  it('keeps a finished job while a subscriber still watches it, and purges it after the last one leaves', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const first = await connectClient(url);
    const second = await connectClient(url);
    await subscribe(first, { jobId: 'report' });
    await subscribe(second, { jobId: 'report' });
    await server.update('report', { status: 'completed', data: { rows: 3 } });

    first.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().subscriptions).toBe(1));
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(await server.getJob('report')).toMatchObject({ status: 'completed' });

    expect(await second.socket.emitWithAck('unsubscribe-job', { jobId: 'report' })).toEqual({ ok: true });
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(server.stats().jobs).toBe(0));
  });

  it('purges rate-limit records of sockets that went quiet', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const client = await connectClient(url);
    await subscribe(client, { jobId: 'x' });
    expect(server.stats().rateLimitRecords).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(server.stats().rateLimitRecords).toBe(0);
  });

  it('owns two timers whatever the number of connections and jobs', async () => {
    const { server, url } = await startJobServer();
    expect(server.stats().timers).toBe(2);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(url)));
    await Promise.all(clients.map((client, i) => subscribe(client, { jobId: `job-${i}` })));
    for (let i = 0; i < 20; i += 1) await server.update(`job-${i}`, { status: 'running' });
    expect(server.stats()).toMatchObject({ connections: 20, jobs: 20, subscriptions: 20, timers: 2 });
  });

  it('keeps sweeping after a store failure and reports it in health()', async () => {
    const { now } = useFakeClock();
    const store = new MemoryJobStore();
    let failing = true;
    const findExpired = store.findExpired.bind(store);
    store.findExpired = (rule) => (failing ? Promise.reject(new Error('store down')) : findExpired(rule));
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, store });
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(server.health()).toMatchObject({ status: 'degraded', reasons: expect.arrayContaining(['sweep-failed']) }));
    failing = false;
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(server.health()).toMatchObject({ status: 'ok', reasons: [] }));
  });

  it('lets a sweep in flight settle before close() resolves, so its failure is reported before the close and nothing after', async () => {
    const { now } = useFakeClock();
    const store = new MemoryJobStore();
    let failSweep: (error: Error) => void = () => undefined;
    store.findExpired = () => new Promise((_resolve, reject) => (failSweep = reject));
    const findExpired = vi.spyOn(store, 'findExpired');
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, store });
    const log: string[] = [];
    server.on('error', ({ context }) => log.push(`error: ${context}`));
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(findExpired).toHaveBeenCalledOnce());

    const httpClosed = new Promise((resolve) => server.io.httpServer.once('close', resolve));
    const closing = server.close({ timeoutMs: 500 }).then(() => log.push('closed'));
    await httpClosed;
    // One turn of the event loop: without the wait for the sweep, close() would have resolved by now.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
    failSweep(new Error('store down'));
    await closing;
    expect(log).toEqual(['error: sweep', 'closed']);
    expect(server.stats().timers).toBe(0);
  });
  it('does not let a sweep that never settles hold close() past its deadline', async () => {
    const { now } = useFakeClock();
    const store = new MemoryJobStore();
    store.findExpired = () => new Promise(() => undefined);
    const findExpired = vi.spyOn(store, 'findExpired');
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (_obj: object, msg: string) => void warnings.push(msg), error: () => undefined };
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, store, logger });
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(findExpired).toHaveBeenCalledOnce());

    // The shutdown deadline is a real timer (only intervals are faked): close() resolves through it.
    await server.close({ timeoutMs: 300 });
    expect(warnings).toContain('job server: closing while a sweep is still running past the shutdown deadline');
    expect(server.stats().timers).toBe(0);
  });

  it('reports nothing once closed: a sweep that fails after outliving the deadline is only logged at debug', async () => {
    const { now } = useFakeClock();
    const store = new MemoryJobStore();
    let failSweep: (error: Error) => void = () => undefined;
    store.findExpired = () => new Promise((_resolve, reject) => (failSweep = reject));
    const findExpired = vi.spyOn(store, 'findExpired');
    const debug = vi.fn();
    const logger = { debug, info: () => undefined, warn: () => undefined, error: () => undefined };
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, store, logger });
    const errors: string[] = [];
    server.on('error', ({ context }) => errors.push(context));
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    await vi.waitFor(() => expect(findExpired).toHaveBeenCalledOnce());
    await server.close({ timeoutMs: 50 });

    failSweep(new Error('store closed'));
    await vi.waitFor(() => expect(debug).toHaveBeenCalledWith(expect.objectContaining({ context: 'sweep' }), expect.stringMatching(/after close/)));
    expect(errors).toEqual([]);
    expect(server.counters().internalErrors).toBe(0);
  });

  it('resolves maintenance calls made once close() started without touching connections or the store', async () => {
    const store = new MemoryJobStore();
    const findExpired = vi.spyOn(store, 'findExpired').mockRejectedValue(new Error('store closed'));
    const { server, url } = await startJobServer({ store, session: { idleTimeoutMs: 1, maxInactivityMs: 1 } });
    const client = await connectClient(url);
    const closing = server.close({ timeoutMs: 500 });
    expect(await server.maintenance.disconnectInactive()).toBe(0);
    expect(await server.maintenance.sweep()).toEqual({ disconnected: 0, purgedJobs: 0, purgedRateLimits: 0 });
    await closing;
    expect(await server.maintenance.purgeStaleJobs()).toBe(0);
    expect(await server.maintenance.sweep()).toEqual({ disconnected: 0, purgedJobs: 0, purgedRateLimits: 0 });
    expect(findExpired).not.toHaveBeenCalled();
    expect(client.notices.map((notice) => notice.reason)).toEqual(['shutdown']);
  });
});
