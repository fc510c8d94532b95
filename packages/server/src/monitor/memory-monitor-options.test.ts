import { describe, expect, it } from 'vitest';
import { MemoryMonitorOptionsError } from '../errors';
import { createJobServer } from '../job-server';
import { MEMORY_MONITOR_DEFAULTS, resolveMemoryMonitorOptions } from './memory-monitor-options';

// Never started: resolving options only reads the server's shape, so closing it right away leaves nothing behind.
const server = createJobServer();
await server.close();

function optionError(options: unknown): MemoryMonitorOptionsError {
  try {
    resolveMemoryMonitorOptions(options);
  } catch (error) {
    if (error instanceof MemoryMonitorOptionsError) return error;
    throw error;
  }
  throw new Error('resolveMemoryMonitorOptions accepted invalid options');
}

describe('resolveMemoryMonitorOptions', () => {
  it('applies MEMORY_MONITOR_DEFAULTS', () => {
    const resolved = resolveMemoryMonitorOptions({ server });
    expect(resolved).toMatchObject({ intervalMs: 30_000, historySize: 120, remediation: MEMORY_MONITOR_DEFAULTS.remediation, gc: undefined });
    expect(resolved.alerts).toEqual({ ...MEMORY_MONITOR_DEFAULTS.alerts, heapBaselineBytes: undefined });
    expect(resolved.memoryUsage()).toEqual(expect.objectContaining({ heapUsed: expect.any(Number), rss: expect.any(Number) }));
  });

  it('switches every remediation action off with `false`, or one at a time', () => {
    expect(resolveMemoryMonitorOptions({ server, remediation: false }).remediation).toEqual({
      purgeRateLimits: false,
      purgeStaleJobs: false,
      disconnectInactive: false,
      runGc: false,
    });
    expect(resolveMemoryMonitorOptions({ server, remediation: { runGc: false } }).remediation).toEqual({ ...MEMORY_MONITOR_DEFAULTS.remediation, runGc: false });
  });

  it('names the offending option', () => {
    expect(optionError({}).option).toBe('server');
    expect(optionError({ server: {} }).option).toBe('server');
    expect(optionError({ server, intervalMs: 0 }).option).toBe('intervalMs');
    expect(optionError({ server, historySize: 1.5 }).option).toBe('historySize');
    expect(optionError({ server, alerts: { maxInactiveRatio: 2 } }).option).toBe('alerts.maxInactiveRatio');
    expect(optionError({ server, alerts: { heapGrowthRatio: -1 } }).option).toBe('alerts.heapGrowthRatio');
    expect(optionError({ server, remediation: { reboot: true } }).option).toBe('remediation.reboot');
    // A value of the wrong type inside the object form of `remediation` (a union with `false`).
    expect(optionError({ server, remediation: { runGc: 'yes' } })).toMatchObject({ option: 'remediation.runGc', message: expect.stringContaining('boolean') });
    expect(optionError({ server, remediation: 'on' }).option).toBe('remediation');
    expect(optionError({ server, logger: console.log }).option).toBe('logger');
    expect(optionError({ server, sampleEvery: 5 }).option).toBe('sampleEvery');
  });

  it('says what is wrong in the message', () => {
    expect(optionError({ server, intervalMs: -5 }).message).toMatch(/^Invalid memory monitor option "intervalMs": /);
  });
});
