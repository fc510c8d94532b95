import { describe, expect, it } from 'vitest';
import { ErrorCode } from './error-codes';
import type { JobUpdate } from './job-update';
import { MAX_REPLAY_UPDATES, SubscribeJobAckSchema, SubscribeJobOkSchema, SubscribeJobRequestSchema } from './subscribe-job';

const updateAt = (seq: number): JobUpdate => ({ jobId: 'render-7', epoch: 'e1', seq, status: 'running', progress: Math.min(seq, 100), at: 1000 + seq });

describe('SubscribeJobRequestSchema', () => {
  it('accepts a resubscription with the epoch its lastSeq counts in', () => {
    expect(SubscribeJobRequestSchema.parse({ jobId: 'render-7', lastSeq: 12, epoch: 'Ab3_x-9' })).toEqual({ jobId: 'render-7', lastSeq: 12, epoch: 'Ab3_x-9' });
  });

  it('accepts a first subscription and a resubscription with lastSeq', () => {
    expect(SubscribeJobRequestSchema.parse({ jobId: 'render-7' })).toEqual({ jobId: 'render-7' });
    expect(SubscribeJobRequestSchema.parse({ jobId: 'render-7', lastSeq: 0 })).toEqual({ jobId: 'render-7', lastSeq: 0 });
    expect(SubscribeJobRequestSchema.parse({ jobId: 'render-7', lastSeq: 12 })).toEqual({ jobId: 'render-7', lastSeq: 12 });
  });

  it.each([
    ['a missing jobId', {}, 'jobId'],
    ['an empty jobId', { jobId: '' }, 'jobId'],
    ['an oversized jobId', { jobId: 'r'.repeat(129) }, 'jobId'],
    ['a jobId with spaces', { jobId: 'render 7' }, 'jobId'],
    ['a numeric jobId', { jobId: 7 }, 'jobId'],
    ['a negative lastSeq', { jobId: 'r', lastSeq: -1 }, 'lastSeq'],
    ['a fractional lastSeq', { jobId: 'r', lastSeq: 1.5 }, 'lastSeq'],
    ['a NaN lastSeq', { jobId: 'r', lastSeq: Number.NaN }, 'lastSeq'],
    ['an Infinity lastSeq', { jobId: 'r', lastSeq: Number.POSITIVE_INFINITY }, 'lastSeq'],
    ['a string lastSeq', { jobId: 'r', lastSeq: '3' }, 'lastSeq'],
    ['a null lastSeq', { jobId: 'r', lastSeq: null }, 'lastSeq'],
    ['an empty epoch', { jobId: 'r', lastSeq: 1, epoch: '' }, 'epoch'],
    ['an oversized epoch', { jobId: 'r', lastSeq: 1, epoch: 'e'.repeat(65) }, 'epoch'],
    ['a numeric epoch', { jobId: 'r', lastSeq: 1, epoch: 7 }, 'epoch'],
  ])('refuses %s', (_label, value, path) => {
    expect(SubscribeJobRequestSchema.safeParse(value).error?.issues[0]?.path).toEqual([path]);
  });

  it.each([null, undefined, 'render-7', ['render-7'], 7])('refuses the non-object %j', (value) => {
    expect(SubscribeJobRequestSchema.safeParse(value).error?.issues[0]?.code).toBe('invalid_type');
  });

  it.each([
    ['an unknown key', '{"jobId":"r","extra":1}', 'extra'],
    ['__proto__', '{"jobId":"r","__proto__":{"polluted":1}}', '__proto__'],
    ['constructor', '{"jobId":"r","constructor":{"prototype":{"polluted":1}}}', 'constructor'],
  ])('is strict: refuses %s', (_label, text, key) => {
    const issue = SubscribeJobRequestSchema.safeParse(JSON.parse(text)).error?.issues[0];
    expect(issue).toMatchObject({ code: 'unrecognized_keys', keys: [key] });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('SubscribeJobAckSchema', () => {
  const ok = { ok: true, jobId: 'render-7', epoch: 'e1', snapshot: updateAt(3), updates: [updateAt(2), updateAt(3)], resync: false } as const;

  it('accepts a snapshot with the replayed updates', () => {
    expect(SubscribeJobAckSchema.parse(ok)).toEqual(ok);
  });

  it('accepts a job that has no update yet and a resync without updates', () => {
    expect(SubscribeJobAckSchema.parse({ ...ok, epoch: null, snapshot: null, updates: [] })).toMatchObject({ ok: true, epoch: null, snapshot: null });
    expect(SubscribeJobAckSchema.parse({ ...ok, updates: [], resync: true })).toMatchObject({ ok: true, resync: true });
  });

  it('accepts a typed error', () => {
    const failed = { ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'job not found' } } as const;
    expect(SubscribeJobAckSchema.parse(failed)).toEqual(failed);
  });

  it(`accepts ${MAX_REPLAY_UPDATES} replayed updates and refuses one more`, () => {
    const updates = Array.from({ length: MAX_REPLAY_UPDATES + 1 }, (_, index) => updateAt(index + 1));
    expect(SubscribeJobOkSchema.safeParse({ ...ok, updates: updates.slice(0, MAX_REPLAY_UPDATES) }).success).toBe(true);
    expect(SubscribeJobOkSchema.safeParse({ ...ok, updates }).error?.issues[0]).toMatchObject({ path: ['updates'], code: 'too_big' });
  });

  it.each([
    ['an ok reply without epoch', { ok: true, jobId: 'r', snapshot: null, updates: [], resync: false }, ['epoch']],
    ['an ok reply without snapshot', { ok: true, jobId: 'r', epoch: null, updates: [], resync: false }, ['snapshot']],
    ['an ok reply without resync', { ok: true, jobId: 'r', epoch: null, snapshot: null, updates: [] }, ['resync']],
    ['an ok reply with a bad update', { ...ok, updates: [{ ...updateAt(1), status: 'done' }] }, ['updates', 0, 'status']],
    ['an error reply with an unknown code', { ok: false, error: { code: 'NOPE', message: 'x' } }, ['error', 'code']],
    ['an error reply without message', { ok: false, error: { code: 'INTERNAL' } }, ['error', 'message']],
    ['an ok flag that is not boolean', { ok: 'yes' }, ['ok']],
  ])('refuses %s', (_label, value, path) => {
    expect(SubscribeJobAckSchema.safeParse(value).error?.issues[0]?.path).toEqual(path);
  });
});
