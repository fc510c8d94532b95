import { findJobDataProblem, MAX_JOB_DATA_BYTES, MAX_JOB_DATA_DEPTH } from '@org/ws-protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotJobData } from './job-data-snapshot';

/** Values as the data check sees them: JSON, and some that it refuses. */
const anyData = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(undefined, Number.NaN, Infinity, () => 1, Symbol('s'), 1n, new Date(0), new Map(), JSON.parse('{"__proto__":1}') as unknown),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('constructor', 'prototype')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('snapshotJobData', () => {
  it('copies JSON into fresh objects and arrays that serialise the same', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = snapshotJobData(value);
        expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
        if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
      }),
    );
  });

  it('is refused by the data check exactly where the original is, with the same words', () => {
    fc.assert(
      fc.property(anyData, (value) => {
        expect(findJobDataProblem(snapshotJobData(value))).toBe(findJobDataProblem(value));
      }),
    );
  });

  it('reads each property and item once, however often the check reads the copy', () => {
    const reads = { key: 0, item: 0 };
    const item = { get n() { reads.item += 1; return reads.item; } };
    const data = { get nested() { reads.key += 1; return [item, item]; } };
    const copy = snapshotJobData(data);
    expect(findJobDataProblem(copy)).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"nested":[{"n":1},{"n":2}]}');
    expect(reads).toEqual({ key: 1, item: 2 });
  });

  it('does not follow a proxy that pretends to be a plain object a second time', () => {
    let protoReads = 0;
    const liar = new Proxy(new Date(0), { getPrototypeOf: () => (protoReads++ === 0 ? Date.prototype : Object.prototype) });
    expect(findJobDataProblem(snapshotJobData({ liar }))).toBe('data may only hold plain objects, arrays and primitives');
    expect(protoReads).toBe(1);
  });

  it('keeps a __proto__ key as a key for the check to refuse, not as the prototype of the copy', () => {
    const copy = snapshotJobData(JSON.parse('{"a":{"__proto__":{"admin":true}}}')) as { a: object };
    expect(Object.getPrototypeOf(copy.a)).toBe(Object.prototype);
    expect(findJobDataProblem(copy)).toBe('data must not contain the key "__proto__"');
  });

  it('stops at the deepest nesting the check allows, so that a cycle is refused and not followed', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(findJobDataProblem(snapshotJobData(cycle))).toBe(`data must not nest deeper than ${MAX_JOB_DATA_DEPTH} levels`);
  });

  it('reads no further into an array than its size allows, and the shorter copy is refused for its size', () => {
    let reads = 0;
    const huge = new Proxy([], { get: (target, key) => (key === 'length' ? 2 ** 32 - 1 : (reads++, 0)) });
    expect(findJobDataProblem(snapshotJobData(huge))).toMatch(new RegExp(`^data must be at most ${MAX_JOB_DATA_BYTES} bytes of JSON`));
    expect(reads).toBe(MAX_JOB_DATA_BYTES / 2 + 1);
    const holes = new Array<number>(1e9);
    expect(findJobDataProblem(snapshotJobData(holes))).toMatch(/^data may only hold JSON values, not undefined$/);
  });
});
