import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { JobServer } from '../../src/index';
import { closeAllRawEngines } from './raw-engine-client';
import { closeAllClients } from './test-client';

/** `stats()` of a server that holds nothing. */
export const ZERO_STATS = {
  connections: 0,
  connectionsByIp: 0,
  pendingTransports: 0,
  jobs: 0,
  subscriptions: 0,
  rateLimitRecords: 0,
  watchedJobs: 0,
  pendingHeartbeats: 0,
  pendingNotices: 0,
  pendingAcks: 0,
  timers: 0,
  pendingConflations: 0,
} as const;

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** How long closing sockets get to clear their timers; a loaded machine (the full gate) needs more than a few turns. */
const SETTLE_TIMEOUT_MS = 3000;

/**
 * Timers still active once closing sockets had a chance to clear theirs. Polls on `setImmediate`, which
 * (unlike `vi.waitFor`) adds no timer of its own to the count; bounded in wall-clock time.
 */
async function settledTimerCount(expected: number): Promise<number> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (activeTimers() > expected && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return activeTimers();
}

const tracked: JobServer[] = [];

/** Registers servers whose registries must be empty after the test. */
export function trackServers(...servers: JobServer[]): void {
  tracked.push(...servers);
}

/**
 * After every test: close all clients and tracked servers and assert that every registry is back to zero; while a
 * fake clock is installed, assert that no faked timer is left (the server's own intervals are faked there, so the
 * process-wide check below cannot see them), then restore real timers and assert that no timer is left beyond what
 * was active before the test.
 */
export function installLeakCheck(): void {
  let baseline = 0;
  beforeEach(() => {
    baseline = activeTimers();
  });
  afterEach(async () => {
    try {
      closeAllClients();
      closeAllRawEngines();
      const servers = tracked.splice(0);
      await Promise.all(servers.map((server) => server.close({ timeoutMs: 500 })));
      for (const server of servers) expect(server.stats()).toEqual(ZERO_STATS);
      if (vi.isFakeTimers()) expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(await settledTimerCount(baseline)).toBeLessThanOrEqual(baseline);
  });
}
