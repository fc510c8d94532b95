import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, startMonitor } from './support/monitor-resource';
import { connectClient, connectRefused, recordUpdates, subscribe } from './support/test-client';

installLeakCheck();
installMonitorCleanup();

describe('load shedding', () => {
  it('refuses new connections and new subscriptions with OVERLOADED while existing subscribers keep receiving, and recovers', async () => {
    const { server, url } = await startJobServer({ limits: { overload: { retryAfterMs: 2000 } } });
    const watcher = await connectClient(url);
    const updates = recordUpdates(watcher);
    expect(await subscribe(watcher, { jobId: 'render' })).toMatchObject({ ok: true });

    server.maintenance.startShedding('event-loop-lag');
    expect(server.maintenance.sheddingReasons()).toEqual(['event-loop-lag']);
    expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['overloaded:event-loop-lag'] });
    const refusal = await connectRefused(url);
    expect(refusal).toMatchObject({ code: 'OVERLOADED', message: 'the server is overloaded' });
    expect(refusal.retryAfterMs).toBeGreaterThanOrEqual(2000);
    expect(refusal.retryAfterMs).toBeLessThan(4000);
    expect(server.counters().refusedConnectionsByCode).toEqual({ OVERLOADED: 1 });

    const refused = await subscribe(watcher, { jobId: 'other' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'OVERLOADED' } });
    expect(refused.ok === false && refused.error.retryAfterMs).toBeGreaterThanOrEqual(2000);
    // A job the connection already watches costs nothing more: answered as usual.
    expect(await subscribe(watcher, { jobId: 'render' })).toMatchObject({ ok: true });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
    expect(server.counters().overloadedSubscriptions).toBe(1);
    const update = await server.update('render', { status: 'running', progress: 40 });
    await vi.waitFor(() => expect(updates).toEqual([update]));

    server.maintenance.stopShedding('event-loop-lag');
    expect(server.maintenance.sheddingReasons()).toEqual([]);
    expect(server.health().status).toBe('ok');
    await connectClient(url);
    expect(await subscribe(watcher, { jobId: 'other' })).toMatchObject({ ok: true });
  });

  it('sheds load by itself while the heap is past limits.overload.heapUsedBytes (checked at each tick)', async () => {
    const { server, url } = await startJobServer({ heartbeat: { intervalMs: 50, timeoutMs: 5000 }, limits: { overload: { heapUsedBytes: 1 } } });
    await vi.waitFor(() => expect(server.maintenance.sheddingReasons()).toEqual(['heap']));
    expect(server.health().reasons).toContain('overloaded:heap');
    expect(await connectRefused(url)).toMatchObject({ code: 'OVERLOADED' });
  });

  it("follows a memory monitor's heap alert: sheds while it holds, accepts again once the heap falls back", async () => {
    const { server, url } = await startJobServer();
    let heapUsed = 100e6;
    const monitor = startMonitor({ server, alerts: { heapBaselineBytes: 100e6, heapGrowthRatio: 1.5 }, remediation: false, memoryUsage: () => ({ heapUsed, rss: 2 * heapUsed }) });
    const watcher = await connectClient(url);
    const updates = recordUpdates(watcher);
    await subscribe(watcher, { jobId: 'render' });

    heapUsed = 200e6;
    monitor.sample();
    expect(server.maintenance.sheddingReasons()).toEqual(['heap-alert']);
    expect(server.health().reasons).toEqual(expect.arrayContaining(['overloaded:heap-alert', 'alert:heap']));
    expect(await connectRefused(url)).toMatchObject({ code: 'OVERLOADED' });
    const update = await server.update('render', { status: 'running', progress: 10 });
    await vi.waitFor(() => expect(updates).toEqual([update]));

    heapUsed = 120e6;
    monitor.sample();
    expect(server.maintenance.sheddingReasons()).toEqual([]);
    expect(server.health().status).toBe('ok');
    await connectClient(url);
  });

  it('stops shedding for the heap alert when the monitor closes, and not at all with shedLoad: false', async () => {
    const { server } = await startJobServer();
    let heapUsed = 100e6;
    const reading = (): { heapUsed: number; rss: number } => ({ heapUsed, rss: heapUsed });
    const off = startMonitor({ server, alerts: { heapBaselineBytes: 100e6 }, remediation: false, shedLoad: false, memoryUsage: reading });
    heapUsed = 200e6;
    off.sample();
    expect(off.activeAlerts().map((alert) => alert.name)).toContain('heap');
    expect(server.maintenance.sheddingReasons()).toEqual([]);

    const on = startMonitor({ server, alerts: { heapBaselineBytes: 100e6 }, remediation: false, memoryUsage: reading });
    on.sample();
    expect(server.maintenance.sheddingReasons()).toEqual(['heap-alert']);
    on.close();
    expect(server.maintenance.sheddingReasons()).toEqual([]);
  });

  it("sheds for heap-alert until every monitor's alert has cleared or its monitor closed, whatever the order", async () => {
    const { server, url } = await startJobServer();
    const heap = { first: 100e6, second: 100e6 };
    const monitorOf = (name: keyof typeof heap) =>
      startMonitor({ server, alerts: { heapBaselineBytes: 100e6, heapGrowthRatio: 1.5 }, remediation: false, memoryUsage: () => ({ heapUsed: heap[name], rss: heap[name] }) });
    const shedding = (): [string[], boolean] => [server.maintenance.sheddingReasons(), server.health().reasons.includes('overloaded:heap-alert')];
    const first = monitorOf('first');
    const second = monitorOf('second');
    heap.first = 200e6;
    heap.second = 200e6;
    first.sample();
    second.sample();
    expect(shedding()).toEqual([['heap-alert'], true]);

    // The first monitor's alert clears: the second one's still holds.
    heap.first = 100e6;
    first.sample();
    expect(first.activeAlerts()).toEqual([]);
    expect(shedding()).toEqual([['heap-alert'], true]);
    expect(await connectRefused(url)).toMatchObject({ code: 'OVERLOADED' });
    // Its alert raised and cleared again: it holds and releases only its own.
    heap.first = 200e6;
    first.sample();
    expect(shedding()).toEqual([['heap-alert'], true]);
    heap.first = 100e6;
    first.sample();
    expect(shedding()).toEqual([['heap-alert'], true]);
    // A monitor whose alert already cleared, closing, takes nothing from the other either.
    first.close();
    expect(shedding()).toEqual([['heap-alert'], true]);
    // Nor does the application's stop of the same reason, which it never started.
    server.maintenance.stopShedding('heap-alert');
    expect(shedding()).toEqual([['heap-alert'], true]);

    second.close();
    expect(shedding()).toEqual([[], false]);
    expect(server.health().status).toBe('ok');
    await connectClient(url);
  });

  it('sheds again at the second heap alert of one monitor, and takes no hold once closed', async () => {
    const { server, url } = await startJobServer();
    let heapUsed = 100e6;
    const monitor = startMonitor({ server, alerts: { heapBaselineBytes: 100e6, maxConnections: 0 }, remediation: false, memoryUsage: () => ({ heapUsed, rss: heapUsed }) });
    for (let episode = 0; episode < 2; episode += 1) {
      heapUsed = 200e6;
      monitor.sample();
      expect(server.maintenance.sheddingReasons()).toEqual(['heap-alert']);
      heapUsed = 100e6;
      monitor.sample();
      expect(server.maintenance.sheddingReasons()).toEqual([]);
    }
    // A listener closes the monitor at the `connections` alert, raised in the same sample before the `heap` one.
    const client = await connectClient(url);
    monitor.on('alert', (alert) => {
      if (alert.name === 'connections') monitor.close();
    });
    heapUsed = 200e6;
    monitor.sample();
    expect(server.maintenance.sheddingReasons()).toEqual([]);
    expect(server.health().status).toBe('ok');
    client.socket.disconnect();
  });

  it("sheds for the application's holds of a reason until each is released", async () => {
    const { server, url } = await startJobServer();
    const releaseLag = server.maintenance.holdShedding('event-loop-lag');
    const releaseOther = server.maintenance.holdShedding('event-loop-lag');
    expect(await connectRefused(url)).toMatchObject({ code: 'OVERLOADED' });
    releaseLag();
    releaseLag();
    expect(server.maintenance.sheddingReasons()).toEqual(['event-loop-lag']);
    expect(server.health().reasons).toEqual(['overloaded:event-loop-lag']);
    releaseOther();
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });
    await connectClient(url);
  });

  it('refuses a shedding reason that is not a non-empty string with JobServerOptionsError, and sheds for nothing', async () => {
    const { server } = await startJobServer();
    for (const reason of [null, undefined, 42, '']) {
      expect(() => server.maintenance.startShedding(reason as never)).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'reason' }));
      expect(() => server.maintenance.holdShedding(reason as never)).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'reason' }));
      expect(() => server.maintenance.stopShedding(reason as never)).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'reason' }));
    }
    expect(server.maintenance.sheddingReasons()).toEqual([]);
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });
  });

  it("reports health-check-failed for a health check that answers anything but a list of strings, not one reason per letter", async () => {
    const { server } = await startJobServer();
    const answers: unknown[] = ['disk-full', [1, 2], null, { reasons: [] }];
    for (const answer of answers) {
      const remove = server.addHealthCheck(() => answer as string[]);
      expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['health-check-failed'] });
      remove();
    }
    server.addHealthCheck(() => ['disk-full']);
    expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['disk-full'] });
  });
});
