import { describe, expect, it } from 'vitest';
import { ErrorAckSchema, OkAckSchema } from './acks';

describe('OkAckSchema and ErrorAckSchema', () => {
  it('accept their own shape only', () => {
    expect(OkAckSchema.parse({ ok: true })).toEqual({ ok: true });
    expect(ErrorAckSchema.parse({ ok: false, error: { code: 'INTERNAL', message: 'failed' } })).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'failed' },
    });
    expect(OkAckSchema.safeParse({ ok: false }).success).toBe(false);
    expect(ErrorAckSchema.safeParse({ ok: true, error: { code: 'INTERNAL', message: 'failed' } }).success).toBe(false);
  });

  it.each([
    ['a missing error', { ok: false }],
    ['an error without code', { ok: false, error: { message: 'x' } }],
    ['an error with a stack-sized message', { ok: false, error: { code: 'INTERNAL', message: 'x'.repeat(301) } }],
    ['an error with a fractional retryAfterMs', { ok: false, error: { code: 'RATE_LIMITED', message: 'x', retryAfterMs: 1.5 } }],
  ])('ErrorAckSchema refuses %s', (_label, value) => {
    expect(ErrorAckSchema.safeParse(value).success).toBe(false);
  });
});
