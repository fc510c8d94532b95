import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage, leastSquaresSlope } from './heap-trend';

describe('leastSquaresSlope', () => {
  it('is the per-index growth of a straight line, whatever its offset', () => {
    expect(leastSquaresSlope([100, 110, 120, 130])).toBeCloseTo(10);
    expect(leastSquaresSlope([5_000_000, 4_999_000, 4_998_000])).toBeCloseTo(-1000);
  });

  it('fits noisy values around their trend and is 0 for a flat or single value', () => {
    expect(leastSquaresSlope([10, 14, 12, 16, 14])).toBeCloseTo(1);
    expect(leastSquaresSlope([7, 7, 7])).toBe(0);
    expect(leastSquaresSlope([42])).toBe(0);
  });
});

describe('collectGarbage', () => {
  const exposed = globalThis.gc;
  afterEach(() => {
    globalThis.gc = exposed;
  });

  it('resolves false and collects nothing when gc is not exposed', async () => {
    globalThis.gc = undefined;
    expect(await collectGarbage()).toBe(false);
  });

  it('forces a full collection when gc is exposed: an unreachable object is gone afterwards', async () => {
    // The real V8 gc, exposed at run time as `node --expose-gc` would.
    setFlagsFromString('--expose-gc');
    globalThis.gc = runInNewContext('gc') as NodeJS.GCFunction;
    let garbage: object | undefined = { payload: new Array(1000).fill('x') };
    const ref = new WeakRef(garbage);
    garbage = undefined;
    expect(await collectGarbage()).toBe(true);
    expect(ref.deref()).toBeUndefined();
  });
});
