import { afterEach, describe, expect, it } from 'vitest';
import { JobDataSchema, MAX_JOB_DATA_BYTES, MAX_JOB_DATA_DEPTH } from './job-data';

/** `levels` arrays nested inside each other around a 0. */
function nestedArrays(levels: number): unknown {
  let value: unknown = 0;
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}

/** `levels` objects nested inside each other under the key `a`. */
function nestedObjects(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

function problemOf(value: unknown): string | undefined {
  const result = JobDataSchema.safeParse(value);
  return result.success ? undefined : result.error.issues.map((issue) => issue.message).join('; ');
}

afterEach(() => {
  // A failing pollution test must not leak into the next test.
  delete (Object.prototype as Record<string, unknown>)['polluted'];
});

describe('JobDataSchema accepts JSON values', () => {
  it.each([
    ['null', null],
    ['true', true],
    ['zero', 0],
    ['a negative float', -12.5],
    ['an empty string', ''],
    ['an empty array', []],
    ['an empty object', {}],
    ['a nested document', { rows: 12, files: ['a.csv', 'b.csv'], meta: { ok: true, note: null } }],
  ])('accepts %s', (_label, value) => {
    expect(JobDataSchema.parse(value)).toEqual(value);
  });

  it('accepts an object without prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(JobDataSchema.safeParse(bare).success).toBe(true);
  });

  it(`accepts exactly ${MAX_JOB_DATA_BYTES} bytes of JSON`, () => {
    const value = 'x'.repeat(MAX_JOB_DATA_BYTES - 2);
    expect(JSON.stringify(value)).toHaveLength(MAX_JOB_DATA_BYTES);
    expect(problemOf(value)).toBeUndefined();
  });

  it(`accepts ${MAX_JOB_DATA_DEPTH} levels of nesting`, () => {
    expect(problemOf(nestedArrays(MAX_JOB_DATA_DEPTH))).toBeUndefined();
    expect(problemOf(nestedObjects(MAX_JOB_DATA_DEPTH))).toBeUndefined();
  });

  it('accepts JSON.parse output, which is what arrives from the wire', () => {
    const text = JSON.stringify({ step: 'upload', parts: [1, 2, 3], detail: { bytes: 1024 } });
    expect(JobDataSchema.parse(JSON.parse(text))).toEqual(JSON.parse(text));
  });
});

describe('JobDataSchema bounds size and depth', () => {
  it('refuses one byte over the bound and says how big it was', () => {
    expect(problemOf('x'.repeat(MAX_JOB_DATA_BYTES - 1))).toBe(
      `data must be at most ${MAX_JOB_DATA_BYTES} bytes of JSON, got ${MAX_JOB_DATA_BYTES + 1}`,
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    const twoByteCharacters = 'é'.repeat(MAX_JOB_DATA_BYTES / 2);
    expect(twoByteCharacters.length).toBeLessThan(MAX_JOB_DATA_BYTES);
    expect(problemOf(twoByteCharacters)).toMatch(/^data must be at most 16384 bytes of JSON/);
  });

  it('counts three-byte characters exactly at the bound', () => {
    // A JSON string of n three-byte characters takes 3n + 2 bytes (its quotes).
    const fitting = Math.floor((MAX_JOB_DATA_BYTES - 2) / 3);
    expect(problemOf('✓'.repeat(fitting))).toBeUndefined();
    expect(problemOf('✓'.repeat(fitting + 1))).toBe(`data must be at most ${MAX_JOB_DATA_BYTES} bytes of JSON, got ${3 * (fitting + 1) + 2}`);
  });

  it('refuses a wide object over the bound', () => {
    const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, index) => [`key${index}`, index]));
    expect(problemOf(wide)).toMatch(/^data must be at most 16384 bytes of JSON, got \d+$/);
  });

  it(`refuses ${MAX_JOB_DATA_DEPTH + 1} levels of nesting`, () => {
    const message = `data must not nest deeper than ${MAX_JOB_DATA_DEPTH} levels`;
    expect(problemOf(nestedArrays(MAX_JOB_DATA_DEPTH + 1))).toBe(message);
    expect(problemOf(nestedObjects(MAX_JOB_DATA_DEPTH + 1))).toBe(message);
  });

  it('refuses a cycle without looping forever', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle['self'] = cycle;
    expect(problemOf(cycle)).toBe(`data must not nest deeper than ${MAX_JOB_DATA_DEPTH} levels`);
  });
});

describe('JobDataSchema refuses what is not JSON', () => {
  class Report {
    rows = 1;
  }

  it.each([
    ['NaN', Number.NaN, 'data numbers must be finite'],
    ['Infinity', Number.POSITIVE_INFINITY, 'data numbers must be finite'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'data numbers must be finite'],
    ['NaN nested in an object', { ratio: Number.NaN }, 'data numbers must be finite'],
    ['undefined', undefined, 'data may only hold JSON values, not undefined'],
    ['undefined inside an array', [1, undefined, 3], 'data may only hold JSON values, not undefined'],
    ['a hole in a sparse array', [1, , 3], 'data may only hold JSON values, not undefined'],
    ['undefined as an object value', { a: undefined }, 'data may only hold JSON values, not undefined'],
    ['a function', () => 1, 'data may only hold JSON values, not function'],
    ['a function inside an object', { toJSON: () => 'forged' }, 'data may only hold JSON values, not function'],
    ['a bigint', 10n, 'data may only hold JSON values, not bigint'],
    ['a bigint inside an array', [10n], 'data may only hold JSON values, not bigint'],
    ['a symbol', Symbol('s'), 'data may only hold JSON values, not symbol'],
    ['a Date', new Date(0), 'data may only hold plain objects, arrays and primitives'],
    ['a Map', new Map([['a', 1]]), 'data may only hold plain objects, arrays and primitives'],
    ['a Set', new Set([1]), 'data may only hold plain objects, arrays and primitives'],
    ['a RegExp', /x/, 'data may only hold plain objects, arrays and primitives'],
    ['a class instance', new Report(), 'data may only hold plain objects, arrays and primitives'],
    ['a class instance nested in an array', [{ ok: [new Report()] }], 'data may only hold plain objects, arrays and primitives'],
    ['a typed array', new Uint8Array(2), 'data may only hold plain objects, arrays and primitives'],
    ['a boxed string', Object('text'), 'data may only hold plain objects, arrays and primitives'],
    ['an Error', new Error('x'), 'data may only hold plain objects, arrays and primitives'],
  ])('refuses %s', (_label, value, message) => {
    expect(problemOf(value)).toBe(message);
  });
});

describe('JobDataSchema refuses prototype-pollution keys', () => {
  it.each([
    ['__proto__ at the top', '{"__proto__":{"polluted":1}}', '__proto__'],
    ['__proto__ nested in an object', '{"a":{"b":{"__proto__":{"polluted":1}}}}', '__proto__'],
    ['__proto__ nested in an array', '{"list":[{"__proto__":{"polluted":1}}]}', '__proto__'],
    ['constructor at the top', '{"constructor":{"prototype":{"polluted":1}}}', 'constructor'],
    ['constructor nested', '{"a":[{"constructor":{"prototype":{"polluted":1}}}]}', 'constructor'],
    ['prototype nested', '{"a":{"prototype":{"polluted":1}}}', 'prototype'],
  ])('refuses %s', (_label, text, key) => {
    const value: unknown = JSON.parse(text);
    expect(problemOf(value)).toBe(`data must not contain the key "${key}"`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('does not mistake an inherited constructor for an own key', () => {
    expect(problemOf({ kind: 'constructor', value: 'prototype' })).toBeUndefined();
  });
});
