import { describe, expect, it } from 'vitest';
import { SampleHistory } from './sample-history';

describe('SampleHistory', () => {
  it('returns what it holds oldest first, before it is full', () => {
    const history = new SampleHistory<number>(3);
    expect(history.toArray()).toEqual([]);
    expect(history.latest()).toBeUndefined();
    history.push(1);
    history.push(2);
    expect(history.toArray()).toEqual([1, 2]);
    expect(history.latest()).toBe(2);
    expect(history.size).toBe(2);
  });

  it('keeps only the newest `capacity` items once it wraps around, oldest first', () => {
    const history = new SampleHistory<number>(3);
    for (let i = 1; i <= 8; i += 1) history.push(i);
    expect(history.toArray()).toEqual([6, 7, 8]);
    expect(history.latest()).toBe(8);
    expect(history.size).toBe(3);
  });

  it('hands out copies that later pushes do not change', () => {
    const history = new SampleHistory<string>(2);
    history.push('a');
    const before = history.toArray();
    history.push('b');
    history.push('c');
    expect(before).toEqual(['a']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new SampleHistory(capacity)).toThrow(RangeError);
  });
});
