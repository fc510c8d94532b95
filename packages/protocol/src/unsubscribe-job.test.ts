import { describe, expect, it } from 'vitest';
import { UnsubscribeJobAckSchema, UnsubscribeJobRequestSchema } from './unsubscribe-job';

describe('UnsubscribeJobRequestSchema', () => {
  it('accepts a job id', () => {
    expect(UnsubscribeJobRequestSchema.parse({ jobId: 'import:9' })).toEqual({ jobId: 'import:9' });
  });

  it.each([
    ['a missing jobId', {}],
    ['an empty jobId', { jobId: '' }],
    ['an oversized jobId', { jobId: 'i'.repeat(129) }],
    ['a jobId with bad characters', { jobId: 'import;drop' }],
    ['a null jobId', { jobId: null }],
    ['a non-object', 'import:9'],
  ])('refuses %s', (_label, value) => {
    expect(UnsubscribeJobRequestSchema.safeParse(value).success).toBe(false);
  });

  it.each([
    ['lastSeq, which only subscribe-job takes', '{"jobId":"i","lastSeq":1}', 'lastSeq'],
    ['__proto__', '{"jobId":"i","__proto__":{"polluted":1}}', '__proto__'],
    ['constructor', '{"jobId":"i","constructor":{"polluted":1}}', 'constructor'],
  ])('is strict: refuses %s', (_label, text, key) => {
    expect(UnsubscribeJobRequestSchema.safeParse(JSON.parse(text)).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: [key] });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('UnsubscribeJobAckSchema', () => {
  it('accepts ok and a typed error', () => {
    expect(UnsubscribeJobAckSchema.parse({ ok: true })).toEqual({ ok: true });
    const failed = { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 500 } };
    expect(UnsubscribeJobAckSchema.parse(failed)).toEqual(failed);
  });

  it.each([
    ['an error reply without error', { ok: false }],
    ['an error with a negative retryAfterMs', { ok: false, error: { code: 'RATE_LIMITED', message: 'x', retryAfterMs: -1 } }],
    ['a missing ok flag', {}],
    ['null', null],
  ])('refuses %s', (_label, value) => {
    expect(UnsubscribeJobAckSchema.safeParse(value).success).toBe(false);
  });
});
