import type { AnyJobServer, JobServerStats } from '@org/ws-server';
import { JobServerLeakError, type Leftover } from './errors';
import { wholeNumber } from './whole-number';
import { waitUntil } from './wait-until';

/** Name of a registry in `stats()` (everything but `timers`). */
export type RegistryName = Exclude<keyof JobServerStats, 'timers'>;

/** Options of `expectNoLeaks`. */
export interface ExpectNoLeaksOptions {
  /** How long the registries get to drain. @default 5000 */
  timeoutMs?: number | undefined;
  /**
   * Registries allowed to stay above zero, with the most each may hold: what the server keeps by design,
   * e.g. `{ jobs: 2 }` for two unfinished jobs that stay until `sweep.staleJobMs`. @default {}
   */
  allow?: Partial<Record<RegistryName, number>> | undefined;
}

// The sum of pendingHeartbeats and pendingNotices, which are checked (and named) themselves.
const DERIVED: ReadonlySet<string> = new Set(['pendingAcks']);

/** Timers a server owns while it runs (its heartbeat/notice ticker and its sweeper); none once closed. */
const RUNNING_SERVER_TIMERS = 2;

/** Every registry of `stats` above what it may hold, and `timers` when it is not the ticker and the sweeper (none once closed). */
export function findLeftovers(server: AnyJobServer, stats: JobServerStats, allow: ExpectNoLeaksOptions['allow'] = {}): Leftover[] {
  const leftovers: Leftover[] = [];
  for (const [name, count] of Object.entries(stats) as [keyof JobServerStats, number][]) {
    if (name === 'timers' || DERIVED.has(name)) continue;
    const allowed = allow[name] ?? 0;
    if (count > allowed) leftovers.push({ name, count, allowed });
  }
  const timers = server.health().status === 'shutting-down' ? 0 : RUNNING_SERVER_TIMERS;
  if (stats.timers !== timers) leftovers.push({ name: 'timers', count: stats.timers, allowed: timers });
  return leftovers;
}

/**
 * Waits until every registry of `server.stats()` is back to zero (or to `allow`) and the server owns no timer
 * but its ticker and sweeper (none after `close()`).
 * @throws JobServerLeakError naming each registry and its count when they did not drain within `timeoutMs`.
 * @example
 * clients.close();
 * await expectNoLeaks(server); // JobServerLeakError: … connections 1, subscriptions 1, …
 */
export async function expectNoLeaks(server: AnyJobServer, options: ExpectNoLeaksOptions = {}): Promise<void> {
  const timeoutMs = wholeNumber('timeoutMs', options.timeoutMs ?? 5000, 0);
  const drained = await waitUntil(() => findLeftovers(server, server.stats(), options.allow).length === 0, timeoutMs);
  if (drained) return;
  const stats = server.stats();
  const leftovers = findLeftovers(server, stats, options.allow);
  // It may have drained right after the last check.
  if (leftovers.length > 0) throw new JobServerLeakError(leftovers, stats, timeoutMs);
}
