import type { JobExpired } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { MemoryJobStore, type JobServer, type JobStore } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, MINUTE, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

/** `inner` behind an object the server does not know as a memory store, so that it asks it 500 jobs at a time. */
function batchedStore(inner: MemoryJobStore): JobStore {
  return {
    append: (jobId, input, at) => inner.append(jobId, input, at),
    get: (jobId) => inner.get(jobId),
    replay: (jobId, lastSeq) => inner.replay(jobId, lastSeq),
    delete: (jobId, expectedSeq) => inner.delete(jobId, expectedSeq),
    findExpired: (rule) => inner.findExpired(rule),
    size: () => inner.size(),
  };
}

/** A clock the test moves by hand (no sweep runs by itself: its interval stays far off). */
function handClock(): { now: () => number; at: number } {
  const clock = { at: 0, now: () => clock.at };
  return clock;
}

/** Creates `count` jobs `${prefix}-0`, `${prefix}-1`, … with one update each. */
async function createJobs(server: JobServer, prefix: string, count: number, status: 'running' | 'completed'): Promise<string[]> {
  const jobIds = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (const jobId of jobIds) await server.update(jobId, { status });
  return jobIds;
}

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
  it('lets a purge the application started settle before close() resolves, within the deadline', async () => {
    const store = new MemoryJobStore();
    let finishPurge: (expired: []) => void = () => undefined;
    store.findExpired = () => new Promise((resolve) => (finishPurge = resolve));
    const findExpired = vi.spyOn(store, 'findExpired');
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (_obj: object, msg: string) => void warnings.push(msg), error: () => undefined };
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, store, logger });
    const log: string[] = [];
    const purging = server.maintenance.purgeStaleJobs().then((purged) => log.push(`purged ${purged}`));
    await vi.waitFor(() => expect(findExpired).toHaveBeenCalledOnce());

    const httpClosed = new Promise((resolve) => server.io.httpServer.once('close', resolve));
    const closing = server.close({ timeoutMs: 5000 }).then(() => log.push('closed'));
    await httpClosed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
    finishPurge([]);
    await Promise.all([closing, purging]);
    expect(log).toEqual(['purged 0', 'closed']);
    expect(warnings).toEqual([]);

    // One that never settles holds close() only until its deadline.
    store.findExpired = () => new Promise(() => undefined);
    const next = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, store, logger });
    void next.server.maintenance.purgeStaleJobs();
    await next.server.close({ timeoutMs: 100 });
    expect(warnings).toEqual(['job server: closing while a sweep is still running past the shutdown deadline']);
    expect(next.server.stats().timers).toBe(0);
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

  it('keeps close() to its deadline when the wall clock went back while it waits for a sweep that never settles', async () => {
    const store = new MemoryJobStore();
    store.findExpired = () => new Promise(() => undefined);
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: (_obj: object, msg: string) => void warnings.push(msg), error: () => undefined };
    let offset = 0;
    const { server } = await startJobServer({ now: () => Date.now() + offset, heartbeat: DORMANT_HEARTBEAT, store, logger });
    void server.maintenance.purgeStaleJobs();
    const closing = server.close({ timeoutMs: 300 });
    // Set back an hour (an NTP step) once close() took its deadline.
    offset = -3_600_000;
    let bound: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => (bound = setTimeout(resolve, 3000, 'still closing after 3 s')))]);
    clearTimeout(bound);
    expect(outcome).toBe('closed');
    expect(warnings).toContain('job server: closing while a sweep is still running past the shutdown deadline');
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

  it('drops the finished jobs behind 500 watched ones in one sweep, although the store reports 500 at a time', async () => {
    const clock = handClock();
    const inner = new MemoryJobStore();
    const { server, url } = await startJobServer({
      now: clock.now,
      heartbeat: DORMANT_HEARTBEAT,
      store: batchedStore(inner),
      limits: { rateLimit: { events: 1000 } },
    });
    const watched = await createJobs(server, 'watched', 500, 'completed');
    await createJobs(server, 'unwatched', 100, 'completed');
    const watcher = await connectClient(url);
    await Promise.all(watched.map((jobId) => subscribe(watcher, { jobId })));
    clock.at += 10 * MINUTE;

    expect(await server.maintenance.purgeStaleJobs()).toBe(100);
    expect(server.stats()).toMatchObject({ jobs: 500, watchedJobs: 500 });
    // The application owns a store passed in options: it releases it.
    await inner.close();
  });

  it('purges every expired job of the memory store in one sweep, however many, with one scan', async () => {
    const clock = handClock();
    const store = new MemoryJobStore();
    const findExpired = vi.spyOn(store, 'findExpired');
    const { server } = await startJobServer({ now: clock.now, heartbeat: DORMANT_HEARTBEAT, store });
    await createJobs(server, 'done', 12_000, 'completed');
    await createJobs(server, 'stuck', 1000, 'running');
    clock.at += 2 * HOUR;

    expect(await server.maintenance.purgeStaleJobs()).toBe(13_000);
    expect(server.stats().jobs).toBe(0);
    expect(findExpired).toHaveBeenCalledOnce();
  });

  it('asks for no further batch once close() started, and lets the deletes in flight finish', async () => {
    const clock = handClock();
    const inner = new MemoryJobStore();
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const store = { ...batchedStore(inner), delete: vi.fn(async (jobId: string, expectedSeq?: number) => gate.then(() => inner.delete(jobId, expectedSeq))) };
    const findExpired = vi.spyOn(store, 'findExpired');
    const { server } = await startJobServer({ now: clock.now, heartbeat: DORMANT_HEARTBEAT, store });
    await createJobs(server, 'done', 1200, 'completed');
    clock.at += 10 * MINUTE;

    const purging = server.maintenance.purgeStaleJobs();
    await vi.waitFor(() => expect(store.delete).toHaveBeenCalledTimes(500));
    const closing = server.close({ timeoutMs: 60_000 });
    openGate();
    expect(await purging).toBe(500);
    await closing;
    expect(findExpired).toHaveBeenCalledOnce();
    expect(inner.size()).toBe(700);
    await inner.close();
  });

  it('counts what it dropped when some deletes fail, and reports the failures once', async () => {
    const clock = handClock();
    const inner = new MemoryJobStore();
    const failures = [new Error('delete refused'), new Error('delete refused again')];
    const broken = new Map([
      ['broken-0', failures[0]!],
      ['broken-1', failures[1]!],
    ]);
    const store = {
      ...batchedStore(inner),
      delete: async (jobId: string, expectedSeq?: number) => {
        const failure = broken.get(jobId);
        if (failure) throw failure;
        return inner.delete(jobId, expectedSeq);
      },
    };
    const { server } = await startJobServer({ now: clock.now, heartbeat: DORMANT_HEARTBEAT, store });
    const errors: { error: unknown; context: string }[] = [];
    server.on('error', (event) => errors.push(event));
    await createJobs(server, 'broken', 2, 'completed');
    await createJobs(server, 'done', 3, 'completed');
    clock.at += 10 * MINUTE;

    expect(await server.maintenance.purgeStaleJobs()).toBe(3);
    expect(errors).toEqual([{ error: expect.objectContaining({ errors: failures }), context: 'sweep.purge' }]);
    expect(errors[0]!.error).toBeInstanceOf(AggregateError);
    expect(server.counters().internalErrors).toBe(1);
    expect(inner.size()).toBe(2);
    await inner.close();
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
