import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** How often a condition is checked again. */
const POLL_MS = 10;

/**
 * Checks `condition` until it holds or `timeoutMs` passed; resolves whether it held. Timers and clock come from
 * `node:timers/promises` and `node:perf_hooks`, which a test runner's fake timers leave alone (Vitest and Jest fake the
 * global `performance` and `process.hrtime`, not these modules' own).
 */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}
