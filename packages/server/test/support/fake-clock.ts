import { vi } from 'vitest';

/**
 * Fakes only `setInterval` (the server's ticker and sweeper) and hands the server the fake clock through
 * its `now` option. Socket.IO's own `setTimeout`s and `Date` stay real, so real sockets keep working
 * while hours pass for the server. Advance with `vi.advanceTimersByTimeAsync`, so that each sweep settles
 * before the next is due. Restored by the leak check after each test.
 */
export function useFakeClock(): { now: () => number } {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  return { now: () => vi.getMockedSystemTime()?.getTime() ?? Date.now() };
}

/** A heartbeat that never fires during a test about another clock rule (its answers need real I/O). */
export const DORMANT_HEARTBEAT = { intervalMs: 2 ** 31 - 1, timeoutMs: 10_000 } as const;

/** Milliseconds in a minute and an hour, for readable clock advances. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
