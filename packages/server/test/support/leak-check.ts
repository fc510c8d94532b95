import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { JobServer } from '../../src/index';
import { closeAllRawEngines } from './raw-engine-client';
import { closeAllClients } from './test-client';
import { liveTimerStacks, timerMark, trackTimerOwners } from './timer-owners';

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

/** How long closing sockets get to clear their timers; a loaded machine (the full gate) needs more than a few turns. */
const SETTLE_TIMEOUT_MS = 3000;

/**
 * Creation stacks of the timers the test created and left active, once closing sockets had a chance to clear theirs.
 * Polls on `setImmediate`, which (unlike `vi.waitFor`) adds no timer of its own; bounded in wall-clock time.
 */
async function settledTimerStacks(mark: number): Promise<string[]> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  while (liveTimerStacks(mark).length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return liveTimerStacks(mark);
}

/** The failure of the process-wide check, naming where each timer the test left was created. */
function leakedTimersMessage(stacks: string[]): string {
  const owners = stacks.map((stack, index) => `timer ${index + 1} of ${stacks.length}, created at:\n${stack}`);
  return `${stacks.length} timer(s) created during the test still active after a ${SETTLE_TIMEOUT_MS} ms settle:\n\n${owners.join('\n\n')}`;
}

const tracked: JobServer[] = [];

/** Registers servers whose registries must be empty after the test. */
export function trackServers(...servers: JobServer[]): void {
  tracked.push(...servers);
}

/**
 * After every test: close all clients and tracked servers and assert that every registry is back to zero; while a
 * fake clock is installed, assert that no faked timer is left (the server's own intervals are faked there, so the
 * process-wide check below cannot see them), then restore real timers and assert that no timer the test created (the
 * test runner's own aside) is still active, naming where each one left was created.
 */
export function installLeakCheck(): void {
  let mark = 0;
  trackTimerOwners();
  beforeEach(() => {
    mark = timerMark();
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
    const leaked = await settledTimerStacks(mark);
    if (leaked.length > 0) throw new Error(leakedTimersMessage(leaked));
  });
}
