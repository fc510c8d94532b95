import { describe, expect, it } from 'vitest';
import { ErrorCode, ErrorCodeSchema, JobProtocolError, MAX_ERROR_MESSAGE_LENGTH, ProtocolErrorSchema, protocolError } from './error-codes';

describe('ErrorCode', () => {
  it('has every code of the spec, each spelled as its own key', () => {
    const required = ['INVALID_PAYLOAD', 'RATE_LIMITED', 'FORBIDDEN', 'TOO_MANY_CONNECTIONS', 'UNSUPPORTED_PROTOCOL', 'SHUTTING_DOWN', 'INTERNAL'];
    expect(Object.values(ErrorCode)).toEqual(expect.arrayContaining(required));
    for (const [key, value] of Object.entries(ErrorCode)) expect(value).toBe(key);
  });

  it('is what ErrorCodeSchema accepts, and nothing else', () => {
    for (const code of Object.values(ErrorCode)) expect(ErrorCodeSchema.parse(code)).toBe(code);
    for (const code of ['invalid_payload', 'NOT_FOUND', '', 0, null]) expect(ErrorCodeSchema.safeParse(code).success).toBe(false);
  });
});

describe('ProtocolErrorSchema', () => {
  it('accepts a code with a message and an optional retry delay', () => {
    expect(ProtocolErrorSchema.parse({ code: 'INTERNAL', message: 'failed' })).toEqual({ code: 'INTERNAL', message: 'failed' });
    expect(ProtocolErrorSchema.parse({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 0 })).toMatchObject({ retryAfterMs: 0 });
  });

  it.each([
    ['an unknown code', { code: 'OOPS', message: 'x' }],
    ['a missing message', { code: 'INTERNAL' }],
    ['a message over the bound', { code: 'INTERNAL', message: 'm'.repeat(MAX_ERROR_MESSAGE_LENGTH + 1) }],
    ['a negative retryAfterMs', { code: 'RATE_LIMITED', message: 'x', retryAfterMs: -1 }],
    ['a NaN retryAfterMs', { code: 'RATE_LIMITED', message: 'x', retryAfterMs: Number.NaN }],
    ['an Infinity retryAfterMs', { code: 'RATE_LIMITED', message: 'x', retryAfterMs: Number.POSITIVE_INFINITY }],
  ])('refuses %s', (_label, value) => {
    expect(ProtocolErrorSchema.safeParse(value).success).toBe(false);
  });
});

describe('protocolError', () => {
  it('leaves retryAfterMs out unless given', () => {
    expect(protocolError(ErrorCode.FORBIDDEN, 'not allowed')).toStrictEqual({ code: 'FORBIDDEN', message: 'not allowed' });
    expect(protocolError(ErrorCode.RATE_LIMITED, 'slow down', 250)).toStrictEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 250 });
  });

  it(`keeps a ${MAX_ERROR_MESSAGE_LENGTH}-character message and trims a longer one with an ellipsis`, () => {
    const exact = 'e'.repeat(MAX_ERROR_MESSAGE_LENGTH);
    expect(protocolError(ErrorCode.INTERNAL, exact).message).toBe(exact);
    const trimmed = protocolError(ErrorCode.INTERNAL, 'e'.repeat(10_000)).message;
    expect(trimmed).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(trimmed.endsWith('…')).toBe(true);
    expect(ProtocolErrorSchema.safeParse({ code: 'INTERNAL', message: trimmed }).success).toBe(true);
  });

  it('never cuts a character in half when trimming', () => {
    const message = `${'e'.repeat(MAX_ERROR_MESSAGE_LENGTH - 2)}${'😀'.repeat(5)}`;
    const trimmed = protocolError(ErrorCode.INTERNAL, message).message;
    expect(trimmed).toBe(`${'e'.repeat(MAX_ERROR_MESSAGE_LENGTH - 2)}…`);
    // encodeURIComponent throws on a lone surrogate.
    expect(() => encodeURIComponent(trimmed)).not.toThrow();
  });
});

describe('JobProtocolError', () => {
  it('is an Error with its own name, the code, the retry delay and the cause', () => {
    const cause = new Error('redis down');
    const error = new JobProtocolError({ code: ErrorCode.UNAVAILABLE, message: 'try later', retryAfterMs: 1000 }, { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(JobProtocolError);
    expect(error.name).toBe('JobProtocolError');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('try later');
    expect(error.retryAfterMs).toBe(1000);
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('JobProtocolError: try later');
  });

  it('has no cause and no retry delay unless given', () => {
    const error = new JobProtocolError({ code: ErrorCode.FORBIDDEN, message: 'no' });
    expect(error.cause).toBeUndefined();
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('serializes to the wire shape, without stack or cause', () => {
    const error = new JobProtocolError({ code: ErrorCode.RATE_LIMITED, message: 'slow down', retryAfterMs: 200 }, { cause: new Error('secret') });
    expect(error.toJSON()).toStrictEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 200 });
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual({ code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 200 });
    expect(JSON.stringify(error)).not.toMatch(/stack|secret|cause/);
    expect(JSON.parse(JSON.stringify(new JobProtocolError({ code: ErrorCode.INTERNAL, message: 'x' })))).toStrictEqual({ code: 'INTERNAL', message: 'x' });
  });

  it('round-trips through ProtocolErrorSchema', () => {
    const wire = { code: ErrorCode.SHUTTING_DOWN, message: 'bye', retryAfterMs: 3000 } as const;
    expect(ProtocolErrorSchema.parse(new JobProtocolError(wire).toJSON())).toStrictEqual(wire);
  });
});
