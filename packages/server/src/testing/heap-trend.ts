import { setTimeout as delay } from 'node:timers/promises';

/**
 * Forces full garbage collections when `gc` is exposed (`node --expose-gc`); resolves whether it could. Several
 * passes with a macrotask in between let weak callbacks and finalizers run; the last one is V8's compacting
 * "last-resort" collection, so that fragmentation left by earlier work does not count as live heap. `pnpm bench`
 * measures its leak rounds the same way.
 */
export async function collectGarbage(): Promise<boolean> {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return false;
  for (let pass = 0; pass < 3; pass++) {
    gc();
    await delay(20);
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

/** Least-squares slope of `values` against their index (e.g. heap bytes per round); 0 for fewer than two values. */
export function leastSquaresSlope(values: readonly number[]): number {
  const meanX = (values.length - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / values.length;
  let covariance = 0;
  let variance = 0;
  values.forEach((value, index) => {
    covariance += (index - meanX) * (value - meanY);
    variance += (index - meanX) ** 2;
  });
  return variance === 0 ? 0 : covariance / variance;
}
