import { describe, expect, it } from 'vitest';
import { MAX_JOB_DATA_BYTES } from './job-data';
import {
  JobExpiredSchema,
  JobUpdateInputSchema,
  JobUpdateSchema,
  ProgressSchema,
  SeqSchema,
  TimestampSchema,
  type JobUpdate,
} from './job-update';

const update: JobUpdate = { jobId: 'export-1', epoch: 'e1', seq: 1, status: 'running', progress: 10, data: { step: 'read' }, at: 1_700_000_000_000 };

function firstProblem(result: { success: boolean; error?: { issues: { path: PropertyKey[]; code: string }[] } }) {
  const issue = result.error?.issues[0];
  return issue && { path: issue.path.join('.'), code: issue.code };
}

describe('SeqSchema, ProgressSchema and TimestampSchema', () => {
  it.each([0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER])('seq accepts %d', (seq) => {
    expect(SeqSchema.parse(seq)).toBe(seq);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2, '1', null])('seq refuses %s', (seq) => {
    expect(SeqSchema.safeParse(seq).success).toBe(false);
  });

  it.each([0, 0.5, 42, 99.99, 100])('progress accepts %d', (progress) => {
    expect(ProgressSchema.parse(progress)).toBe(progress);
  });

  it.each([-0.01, 100.01, 101, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '50'])('progress refuses %s', (progress) => {
    expect(ProgressSchema.safeParse(progress).success).toBe(false);
  });

  it.each([0, Date.UTC(2030, 0, 1)])('timestamp accepts %d', (at) => {
    expect(TimestampSchema.parse(at)).toBe(at);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2030-01-01', new Date(0)])('timestamp refuses %s', (at) => {
    expect(TimestampSchema.safeParse(at).success).toBe(false);
  });
});

describe('JobUpdateSchema', () => {
  it('accepts a full update', () => {
    expect(JobUpdateSchema.parse(update)).toEqual(update);
  });

  it('accepts an update without progress and data', () => {
    expect(JobUpdateSchema.parse({ jobId: 'j', epoch: 'e', seq: 7, status: 'completed', at: 0 })).toEqual({ jobId: 'j', epoch: 'e', seq: 7, status: 'completed', at: 0 });
  });

  it('starts at seq 1: seq 0 is refused', () => {
    expect(firstProblem(JobUpdateSchema.safeParse({ ...update, seq: 0 }))).toEqual({ path: 'seq', code: 'too_small' });
  });

  it.each([
    ['an empty jobId', { jobId: '' }, 'jobId', 'too_small'],
    ['an oversized jobId', { jobId: 'j'.repeat(129) }, 'jobId', 'too_big'],
    ['a jobId with a slash', { jobId: 'a/b' }, 'jobId', 'invalid_format'],
    ['a numeric jobId', { jobId: 1 }, 'jobId', 'invalid_type'],
    ['an empty epoch', { epoch: '' }, 'epoch', 'too_small'],
    ['a numeric epoch', { epoch: 1 }, 'epoch', 'invalid_type'],
    ['a string seq', { seq: '1' }, 'seq', 'invalid_type'],
    ['a fractional seq', { seq: 1.5 }, 'seq', 'invalid_type'],
    ['an unknown status', { status: 'done' }, 'status', 'invalid_value'],
    ['progress above 100', { progress: 100.5 }, 'progress', 'too_big'],
    ['progress below 0', { progress: -1 }, 'progress', 'too_small'],
    ['NaN progress', { progress: Number.NaN }, 'progress', 'invalid_type'],
    ['Infinity progress', { progress: Number.POSITIVE_INFINITY }, 'progress', 'invalid_type'],
    ['a null progress', { progress: null }, 'progress', 'invalid_type'],
    ['NaN in data', { data: { ratio: Number.NaN } }, 'data', 'custom'],
    ['oversized data', { data: 'x'.repeat(MAX_JOB_DATA_BYTES) }, 'data', 'custom'],
    ['a Date as at', { at: new Date() }, 'at', 'invalid_type'],
    ['a negative at', { at: -1 }, 'at', 'too_small'],
  ])('refuses %s', (_label, change, path, code) => {
    expect(firstProblem(JobUpdateSchema.safeParse({ ...update, ...change }))).toEqual({ path, code });
  });

  it.each(['jobId', 'epoch', 'seq', 'status', 'at'] as const)('requires %s', (key) => {
    const { [key]: _removed, ...rest } = update;
    expect(firstProblem(JobUpdateSchema.safeParse(rest))?.path).toBe(key);
  });

  it.each([null, undefined, 'update', 42, [update]])('refuses the non-object %j', (value) => {
    expect(JobUpdateSchema.safeParse(value).success).toBe(false);
  });

  it('drops unknown keys from server payloads so newer servers stay readable', () => {
    expect(JobUpdateSchema.parse({ ...update, addedLater: true })).toEqual(update);
  });

  it('drops a __proto__ key without touching the result prototype or Object.prototype', () => {
    const parsed = JobUpdateSchema.parse(JSON.parse(`{"jobId":"j","epoch":"e","seq":1,"status":"queued","at":1,"__proto__":{"polluted":1}}`));
    expect(Object.keys(parsed)).toEqual(['jobId', 'epoch', 'seq', 'status', 'at']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses a __proto__ key nested in data', () => {
    const raw: unknown = JSON.parse(`{"jobId":"j","epoch":"e","seq":1,"status":"queued","at":1,"data":{"deep":{"__proto__":{"polluted":1}}}}`);
    expect(firstProblem(JobUpdateSchema.safeParse(raw))).toEqual({ path: 'data', code: 'custom' });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('JobUpdateInputSchema', () => {
  it('accepts what a backend publishes', () => {
    expect(JobUpdateInputSchema.parse({ status: 'running', progress: 50, data: [1] })).toEqual({ status: 'running', progress: 50, data: [1] });
    expect(JobUpdateInputSchema.parse({ status: 'queued' })).toEqual({ status: 'queued' });
  });

  it.each([
    ['jobId', { jobId: 'j' }],
    ['seq', { seq: 3 }],
    ['at', { at: 1 }],
    ['an unknown key', { extra: 1 }],
  ])('refuses %s, which the server assigns itself', (_label, extra) => {
    expect(firstProblem(JobUpdateInputSchema.safeParse({ status: 'running', ...extra }))).toEqual({ path: '', code: 'unrecognized_keys' });
  });

  it('refuses an unknown status and out-of-range progress', () => {
    expect(firstProblem(JobUpdateInputSchema.safeParse({ status: 'paused' }))).toEqual({ path: 'status', code: 'invalid_value' });
    expect(firstProblem(JobUpdateInputSchema.safeParse({ status: 'running', progress: 250 }))).toEqual({ path: 'progress', code: 'too_big' });
  });

  it('refuses a __proto__ key', () => {
    const raw: unknown = JSON.parse('{"status":"running","__proto__":{"polluted":1}}');
    expect(firstProblem(JobUpdateInputSchema.safeParse(raw))).toEqual({ path: '', code: 'unrecognized_keys' });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('JobExpiredSchema', () => {
  it('accepts a stale job, including one that never had an update', () => {
    expect(JobExpiredSchema.parse({ jobId: 'j', lastSeq: 4, reason: 'stale' })).toEqual({ jobId: 'j', lastSeq: 4, reason: 'stale' });
    expect(JobExpiredSchema.parse({ jobId: 'j', lastSeq: 0, reason: 'stale' }).lastSeq).toBe(0);
    expect(JobExpiredSchema.parse({ jobId: 'j', lastSeq: 0, reason: 'gone' }).reason).toBe('gone');
  });

  it.each([
    ['an unknown reason', { reason: 'deleted' }, 'reason'],
    ['a negative lastSeq', { lastSeq: -1 }, 'lastSeq'],
    ['a bad jobId', { jobId: 'a b' }, 'jobId'],
  ])('refuses %s', (_label, change, path) => {
    expect(firstProblem(JobExpiredSchema.safeParse({ jobId: 'j', lastSeq: 1, reason: 'stale', ...change }))?.path).toBe(path);
  });
});
