import { describe, expect, it, vi } from 'vitest';
import { MEMORY_MONITOR_DEFAULTS, MemoryJobStore, type Alert, type ClearedAlert } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, manualMemory, startMonitor } from './support/monitor-resource';
import { recordingLogger } from './support/recording-logger';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();
installMonitorCleanup();

const MB = 1024 * 1024;

describe('memory monitor sampling', () => {
  it('samples every 30 s on one timer and reports every registry size', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const memory = manualMemory(40 * MB, 90 * MB);
    const timersBefore = vi.getTimerCount();
    const monitor = startMonitor({ server, now, memoryUsage: memory.read, remediation: false });
    expect(vi.getTimerCount()).toBe(timersBefore + 1);

    const watcher = await connectClient(url);
    await subscribe(watcher, { jobId: 'render-1' });
    await server.update('render-1', { status: 'running', progress: 5 });
    await server.update('export-2', { status: 'completed' });

    await vi.advanceTimersByTimeAsync(29_999);
    expect(monitor.history()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(monitor.history()).toHaveLength(1);
    expect(monitor.history()[0]).toEqual({
      at: now(),
      connections: 1,
      heapUsedBytes: 40 * MB,
      rssBytes: 90 * MB,
      heapBaselineBytes: 40 * MB,
      inactiveConnections: 0,
      inactiveRatio: 0,
      processingJobs: 1,
      jobsByStatus: { queued: 0, running: 1, completed: 1, failed: 0, cancelled: 0 },
      subscriptions: 1,
      registries: server.stats(),
      alerts: [],
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(monitor.history().map((sample) => sample.at)).toEqual([now() - 60_000, now() - 30_000, now()]);
  });

  it('keeps a bounded history, oldest first', async () => {
    const { now } = useFakeClock();
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const monitor = startMonitor({ server, now, intervalMs: 1000, historySize: 3, memoryUsage: manualMemory().read });
    const start = now();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(monitor.history().map((sample) => sample.at - start)).toEqual([8000, 9000, 10_000]);
    monitor.sample();
    expect(monitor.history()).toHaveLength(3);
    expect(monitor.history().at(-1)?.at).toBe(now());
  });

  it('hands out frozen samples, so a listener cannot rewrite history', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const monitor = startMonitor({ server, memoryUsage: manualMemory().read });
    const sample = monitor.sample();
    expect(Object.isFrozen(sample)).toBe(true);
    expect(Object.isFrozen(sample.registries)).toBe(true);
    expect(() => {
      (sample as { connections: number }).connections = 99;
    }).toThrow(TypeError);
  });

  it('uses the SPEC §2 defaults', () => {
    expect(MEMORY_MONITOR_DEFAULTS).toEqual({
      intervalMs: 30_000,
      historySize: 120,
      alerts: { maxConnections: 1000, heapGrowthRatio: 1.5, maxInactiveRatio: 0.4, maxProcessingJobs: 100 },
      remediation: { purgeRateLimits: true, purgeStaleJobs: true, disconnectInactive: true, runGc: true },
      shedLoad: true,
    });
  });
});

describe('memory monitor alerts', () => {
  it('raises the heap alert once above 150 % of the start-up baseline, logs the numbers, and clears it', async () => {
    const { now } = useFakeClock();
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const memory = manualMemory(100 * MB);
    const logger = recordingLogger();
    const monitor = startMonitor({ server, now, memoryUsage: memory.read, logger, remediation: false });
    const raised: Alert[] = [];
    const cleared: ClearedAlert[] = [];
    monitor.on('alert', (alert) => raised.push(alert));
    monitor.on('alert-cleared', (alert) => cleared.push(alert));

    await vi.advanceTimersByTimeAsync(30_000);
    memory.set(150 * MB);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(raised).toEqual([]);
    memory.set(151 * MB);
    await vi.advanceTimersByTimeAsync(30_000);
    const since = now();
    expect(raised).toEqual([{ name: 'heap', value: 151 * MB, threshold: 150 * MB, since }]);
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: `memory monitor: alert heap: ${151 * MB} > ${150 * MB}`,
        context: expect.objectContaining({ alert: 'heap', value: 151 * MB, threshold: 150 * MB, heapBaselineBytes: 100 * MB, connections: 0 }),
      },
    ]);
    expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['overloaded:heap-alert', 'alert:heap'] });
    expect(monitor.history().at(-1)?.alerts).toEqual(['heap']);

    memory.set(180 * MB);
    await vi.advanceTimersByTimeAsync(90_000);
    expect(raised).toHaveLength(1);
    expect(monitor.activeAlerts()).toEqual([{ name: 'heap', value: 180 * MB, threshold: 150 * MB, since }]);

    memory.set(120 * MB);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(cleared).toEqual([{ name: 'heap', value: 120 * MB, threshold: 150 * MB, since, clearedAt: now() }]);
    expect(logger.entries.at(-1)).toMatchObject({ level: 'info', message: `memory monitor: alert heap cleared: ${120 * MB} <= ${150 * MB}`, context: { heldMs: 120_000 } });
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });
    expect(monitor.activeAlerts()).toEqual([]);
  });

  it('raises the connections alert above the cap and clears it when clients leave', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, alerts: { maxConnections: 1 }, remediation: false });
    const events: string[] = [];
    monitor.on('alert', (alert) => events.push(`alert ${alert.name} ${alert.value}>${alert.threshold}`));
    monitor.on('alert-cleared', (alert) => events.push(`cleared ${alert.name} ${alert.value}`));
    const first = await connectClient(url);
    const second = await connectClient(url);
    monitor.sample();
    monitor.sample();
    second.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(1));
    monitor.sample();
    expect(events).toEqual(['alert connections 2>1', 'cleared connections 1']);
    expect(first.socket.connected).toBe(true);
  });

  it('raises the processing-jobs alert above 100 jobs not yet terminal', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const monitor = startMonitor({ server, memoryUsage: manualMemory().read, remediation: false });
    for (let i = 0; i < 100; i += 1) await server.update(`job-${i}`, { status: i % 2 === 0 ? 'queued' : 'running' });
    await server.update('done', { status: 'failed' });
    expect(monitor.sample()).toMatchObject({ processingJobs: 100, alerts: [] });
    await server.update('one-more', { status: 'running' });
    expect(monitor.sample()).toMatchObject({ processingJobs: 101, alerts: ['processing-jobs'] });
    await server.update('one-more', { status: 'completed' });
    expect(monitor.sample()).toMatchObject({ processingJobs: 100, alerts: [] });
  });

  it('raises the inactive-ratio alert when more than 40 % of connections are idle by the server\'s rules', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, sweep: { intervalMs: 24 * HOUR } });
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, remediation: false });
    await connectClient(url);
    await connectClient(url);
    const watchers = [await connectClient(url), await connectClient(url), await connectClient(url)];
    for (const watcher of watchers) await subscribe(watcher, { jobId: 'long-export' });
    await vi.advanceTimersByTimeAsync(2 * HOUR - 30_000);
    expect(monitor.history().at(-1)).toMatchObject({ inactiveConnections: 0, alerts: [] });
    await vi.advanceTimersByTimeAsync(30_000);
    // 2 of 5 = exactly 40 %: not above the threshold yet.
    expect(monitor.history().at(-1)).toMatchObject({ inactiveConnections: 2, inactiveRatio: 0.4, alerts: [] });
    await watchers[0]?.socket.timeout(5000).emitWithAck('unsubscribe-job', { jobId: 'long-export' });
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    expect(monitor.history().at(-1)).toMatchObject({ inactiveConnections: 3, inactiveRatio: 0.6, alerts: ['inactive-ratio'] });
  });

  it('takes the heap baseline from the options when given', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const memory = manualMemory(100 * MB);
    const monitor = startMonitor({ server, memoryUsage: memory.read, alerts: { heapBaselineBytes: 50 * MB, heapGrowthRatio: 2 }, remediation: false });
    expect(monitor.sample()).toMatchObject({ heapBaselineBytes: 50 * MB, alerts: [] });
    memory.set(100 * MB + 1);
    expect(monitor.activeAlerts()).toEqual([]);
    expect(monitor.sample().alerts).toEqual(['heap']);
  });
});

describe('memory monitor lifecycle', () => {
  it('survives a sample that throws (a store count, a health check, memoryUsage): logs it and samples again next time', async () => {
    const { now } = useFakeClock();
    let failing = true;
    class FailingCountStore extends MemoryJobStore {
      override countByStatus() {
        if (failing) throw new Error('store backend: count failed');
        return super.countByStatus();
      }
    }
    const store = new FailingCountStore();
    const { server, close } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT, store });
    const logger = recordingLogger();
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, logger, remediation: false });
    const removeCheck = server.addHealthCheck(() => {
      if (failing) throw new Error('check failed');
      return [];
    });

    await vi.advanceTimersByTimeAsync(60_000);
    expect(logger.entries.filter((entry) => entry.level === 'error').map((entry) => entry.message)).toEqual(['memory monitor: sampling failed', 'memory monitor: sampling failed']);
    expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['health-check-failed'] });
    expect(monitor.history()).toEqual([]);

    failing = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(monitor.history()).toHaveLength(1);
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });
    removeCheck();
    await close();
    await store.close();
  });

  it('leaves no timer and no health check after close(), and close() is idempotent', async () => {
    const { now } = useFakeClock();
    const { server } = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const memory = manualMemory(100 * MB);
    const timersBefore = vi.getTimerCount();
    const monitor = startMonitor({ server, now, memoryUsage: memory.read, remediation: false });
    const samples: number[] = [];
    monitor.on('sample', (sample) => samples.push(sample.at));
    monitor.sample();
    memory.set(200 * MB);
    monitor.sample();
    expect(server.health().status).toBe('degraded');

    monitor.close();
    monitor.close();
    expect(monitor.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(timersBefore);
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(samples).toHaveLength(2);
  });

  it('closes itself at the first tick after its server began shutting down', async () => {
    const { now } = useFakeClock();
    const resource = await startJobServer({ now, heartbeat: DORMANT_HEARTBEAT });
    const timersBefore = vi.getTimerCount();
    const monitor = startMonitor({ server: resource.server, now, memoryUsage: manualMemory().read });
    await resource.close();
    expect(resource.server.stats()).toMatchObject({ connections: 0, jobs: 0, subscriptions: 0, timers: 0 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(monitor.closed).toBe(true);
    expect(monitor.history()).toEqual([]);
    expect(vi.getTimerCount()).toBe(timersBefore - 2);
  });

  it('keeps sampling when a listener throws, and logs the failure', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const logger = recordingLogger();
    const monitor = startMonitor({ server, logger, memoryUsage: manualMemory().read });
    monitor.on('sample', () => {
      throw new Error('listener broke');
    });
    expect(() => monitor.sample()).not.toThrow();
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'error', message: 'memory monitor: a listener of sample failed' }));
  });
});
