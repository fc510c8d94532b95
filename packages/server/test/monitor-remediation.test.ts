import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobExpired } from '@org/ws-protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryJobStore, type RemediationResult } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, MINUTE, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, manualMemory, startMonitor } from './support/monitor-resource';
import { recordingLogger } from './support/recording-logger';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();
installMonitorCleanup();

/** The sweep stays out of the way, so that whatever gets freed was freed by the monitor. */
const QUIET = { heartbeat: DORMANT_HEARTBEAT, sweep: { intervalMs: 24 * HOUR } } as const;

describe('memory monitor remediation on a real server', () => {
  it('disconnects inactive connections with the idle notice while the inactive-ratio alert holds', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, ...QUIET });
    const logger = recordingLogger();
    const monitor = startMonitor({ server, now, logger, memoryUsage: manualMemory().read });
    const remediated: RemediationResult[] = [];
    monitor.on('remediated', (result) => remediated.push(result));
    const idle = [await connectClient(url), await connectClient(url)];
    const watcher = await connectClient(url);
    await subscribe(watcher, { jobId: 'long-render' });

    await vi.advanceTimersByTimeAsync(2 * HOUR);
    expect(monitor.activeAlerts().map((alert) => alert.name)).toEqual(['inactive-ratio']);
    await vi.waitFor(() => expect(remediated).toEqual([{ action: 'disconnectInactive', freed: 2, unit: 'connections', alerts: ['inactive-ratio'] }]));
    for (const client of idle) {
      expect(client.notices).toEqual([{ reason: 'idle', graceMs: 5000, reconnect: false }]);
      await vi.waitFor(() => expect(client.disconnectReasons).toEqual(['io server disconnect']));
    }
    expect(logger.entries).toContainEqual({
      level: 'info',
      message: 'memory monitor: disconnectInactive freed 2 connections',
      context: { action: 'disconnectInactive', freed: 2, unit: 'connections', alerts: ['inactive-ratio'] },
    });
    expect(watcher.socket.connected).toBe(true);
    expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, subscriptions: 1, pendingAcks: 0 });
    expect(server.counters().noticesSentByReason).toEqual({ idle: 2 });

    await vi.advanceTimersByTimeAsync(30_000);
    expect(monitor.activeAlerts()).toEqual([]);
  });

  it('purges stale jobs while the processing-jobs alert holds, and their watchers get job-expired', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, ...QUIET });
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, alerts: { maxProcessingJobs: 1 } });
    const remediated: RemediationResult[] = [];
    monitor.on('remediated', (result) => remediated.push(result));
    const watcher = await connectClient(url);
    const expired: JobExpired[] = [];
    watcher.socket.on('job-expired', (notice) => expired.push(notice));
    await subscribe(watcher, { jobId: 'orphan' });
    await server.update('orphan', { status: 'running', progress: 10 });
    await server.update('abandoned', { status: 'queued' });

    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(monitor.activeAlerts().map((alert) => alert.name)).toEqual(['processing-jobs']);
    expect(remediated.length).toBeGreaterThan(0);
    expect(remediated.every((result) => result.action === 'purgeStaleJobs' && result.freed === 0)).toBe(true);
    await server.update('fresh', { status: 'running' });

    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    await vi.waitFor(() => expect(expired).toEqual([{ jobId: 'orphan', lastSeq: 1, reason: 'stale' }]));
    expect(remediated.filter((result) => result.freed > 0)).toEqual([{ action: 'purgeStaleJobs', freed: 2, unit: 'jobs', alerts: ['processing-jobs'] }]);
    expect(server.stats()).toMatchObject({ jobs: 1, subscriptions: 0 });
    expect(await server.getJob('fresh')).toMatchObject({ status: 'running' });

    await vi.advanceTimersByTimeAsync(30_000);
    expect(monitor.activeAlerts()).toEqual([]);
  });

  it('purges rate-limit records that refilled, and leaves switched-off actions alone', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, ...QUIET });
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, alerts: { maxConnections: 0 }, remediation: { disconnectInactive: false } });
    const remediated: RemediationResult[] = [];
    monitor.on('remediated', (result) => remediated.push(result));
    const idle = await connectClient(url);
    await idle.socket.timeout(5000).emitWithAck('unsubscribe-job', { jobId: 'nothing' });
    expect(server.stats().rateLimitRecords).toBe(1);

    await vi.advanceTimersByTimeAsync(3 * HOUR);
    await vi.waitFor(() => expect(server.stats().rateLimitRecords).toBe(0));
    expect(remediated.filter((result) => result.freed > 0)).toEqual([{ action: 'purgeRateLimits', freed: 1, unit: 'records', alerts: ['connections'] }]);
    expect(remediated.map((result) => result.action)).not.toContain('disconnectInactive');
    // Idle for 3 h, yet still connected: disconnecting was switched off.
    expect(server.maintenance.inactiveConnections()).toBe(1);
    expect(idle.socket.connected).toBe(true);
  });

  it('does nothing with remediation off, however long the alerts hold', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({ now, ...QUIET });
    const monitor = startMonitor({ server, now, memoryUsage: manualMemory().read, alerts: { maxConnections: 0 }, remediation: false });
    const remediated: RemediationResult[] = [];
    monitor.on('remediated', (result) => remediated.push(result));
    const idle = await connectClient(url);
    await vi.advanceTimersByTimeAsync(3 * HOUR);
    expect(await monitor.remediate()).toEqual([]);
    expect(remediated).toEqual([]);
    expect(monitor.activeAlerts().map((alert) => alert.name)).toEqual(['connections', 'inactive-ratio']);
    expect(idle.socket.connected).toBe(true);
  });

  it('logs a failing action and still runs the others', async () => {
    const { now } = useFakeClock();
    const store = new MemoryJobStore();
    store.findExpired = () => Promise.reject(new Error('store unreachable'));
    const { server, url } = await startJobServer({ now, ...QUIET, store });
    const logger = recordingLogger();
    const monitor = startMonitor({ server, now, logger, memoryUsage: manualMemory().read, alerts: { heapBaselineBytes: 1 } });
    const idle = await connectClient(url);
    await vi.advanceTimersByTimeAsync(2 * HOUR - 30_000);
    idle.notices.splice(0);
    await vi.advanceTimersByTimeAsync(30_000);
    const results = await monitor.remediate();
    expect(results.map((result) => result.action)).toContain('disconnectInactive');
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: 'error', message: 'memory monitor: purgeStaleJobs failed' }));
    await vi.waitFor(() => expect(idle.socket.connected).toBe(false));
    expect(idle.notices.map((notice) => notice.reason)).toEqual(['idle']);
  });

  describe('with --expose-gc', () => {
    const previous: unknown = (globalThis as { gc?: unknown }).gc;
    afterEach(() => {
      (globalThis as { gc?: unknown }).gc = previous;
    });

    it('runs global.gc() while the heap alert holds and logs the heap it freed', async () => {
      setFlagsFromString('--expose-gc');
      (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
      const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
      const logger = recordingLogger();
      // A 1-byte baseline: the real heap is always "above 150 %", so the heap alert holds from the first sample.
      const monitor = startMonitor({ server, logger, alerts: { heapBaselineBytes: 1 } });
      // Large enough for V8's large-object space, which only a full collection reclaims.
      let garbage: number[] | undefined = new Array<number>(2_000_000).fill(7);
      const collected = new WeakRef(garbage);
      garbage = undefined;
      // A WeakRef keeps its target alive until the current job ends.
      await new Promise((resolve) => setImmediate(resolve));

      monitor.sample();
      const results = await monitor.remediate();
      expect(results.map((result) => result.action)).toEqual(['purgeRateLimits', 'purgeStaleJobs', 'disconnectInactive', 'runGc']);
      const gc = results.find((result) => result.action === 'runGc');
      expect(gc).toMatchObject({ unit: 'bytes', alerts: ['heap'] });
      expect(gc?.freed).toBeGreaterThan(8 * 1024 * 1024);
      expect(collected.deref()).toBeUndefined();
      expect(logger.entries).toContainEqual({
        level: 'info',
        message: `memory monitor: runGc freed ${gc?.freed} bytes`,
        context: { action: 'runGc', freed: gc?.freed, unit: 'bytes', alerts: ['heap'] },
      });
    });
  });
});
