import { setTimeout as delay } from 'node:timers/promises';

/** How often a condition is checked again. */
const POLL_MS = 10;

/**
 * Checks `condition` until it holds or `timeoutMs` passed; resolves whether it held. Timers and clock come
 * from `node:timers/promises` and `process.hrtime`, which a test runner's fake timers leave alone.
 */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(timeoutMs * 1e6));
  while (!condition()) {
    if (process.hrtime.bigint() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}
