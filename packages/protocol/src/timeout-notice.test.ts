import { describe, expect, it } from 'vitest';
import { NOTICE_REASONS, NoticeReasonSchema, TimeoutNoticeAckSchema, TimeoutNoticeSchema } from './timeout-notice';

describe('NoticeReasonSchema', () => {
  it('has at least the reasons of the spec', () => {
    expect(NOTICE_REASONS).toEqual(expect.arrayContaining(['idle', 'session-expired', 'shutdown', 'rate-limited']));
  });

  it.each(NOTICE_REASONS)('accepts %s', (reason) => {
    expect(NoticeReasonSchema.parse(reason)).toBe(reason);
  });

  it.each(['timeout', 'SHUTDOWN', '', null])('refuses %j', (reason) => {
    expect(NoticeReasonSchema.safeParse(reason).success).toBe(false);
  });
});

describe('TimeoutNoticeSchema', () => {
  it('accepts a shutdown notice with a retry delay and an idle notice without', () => {
    const shutdown = { reason: 'shutdown', graceMs: 30_000, reconnect: true, retryAfterMs: 5_000 };
    expect(TimeoutNoticeSchema.parse(shutdown)).toEqual(shutdown);
    expect(TimeoutNoticeSchema.parse({ reason: 'idle', graceMs: 0, reconnect: false })).toEqual({ reason: 'idle', graceMs: 0, reconnect: false });
  });

  it.each([
    ['an unknown reason', { reason: 'bored' }, 'reason'],
    ['a negative graceMs', { graceMs: -1 }, 'graceMs'],
    ['a NaN graceMs', { graceMs: Number.NaN }, 'graceMs'],
    ['an Infinity graceMs', { graceMs: Number.POSITIVE_INFINITY }, 'graceMs'],
    ['a string reconnect', { reconnect: 'yes' }, 'reconnect'],
    ['a fractional retryAfterMs', { retryAfterMs: 0.5 }, 'retryAfterMs'],
    ['a negative retryAfterMs', { retryAfterMs: -10 }, 'retryAfterMs'],
  ])('refuses %s', (_label, change, path) => {
    const notice = { reason: 'shutdown', graceMs: 1000, reconnect: true, ...change };
    expect(TimeoutNoticeSchema.safeParse(notice).error?.issues[0]?.path).toEqual([path]);
  });
});

describe('TimeoutNoticeAckSchema', () => {
  it.each(NOTICE_REASONS)('accepts the acknowledged reason %s', (reason) => {
    expect(TimeoutNoticeAckSchema.parse({ reason })).toEqual({ reason });
  });

  it.each([
    ['an extra key', '{"reason":"idle","ok":true}'],
    ['__proto__', '{"reason":"idle","__proto__":{"polluted":1}}'],
    ['constructor', '{"reason":"idle","constructor":{"polluted":1}}'],
  ])('is strict: refuses %s', (_label, text) => {
    expect(TimeoutNoticeAckSchema.safeParse(JSON.parse(text)).error?.issues[0]?.code).toBe('unrecognized_keys');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([{}, { reason: 'whatever' }, { reason: 1 }, undefined])('refuses %j', (value) => {
    expect(TimeoutNoticeAckSchema.safeParse(value).success).toBe(false);
  });
});
