import { describe, expect, it } from 'vitest';
import { ErrorCode } from './error-codes';
import { ConnectErrorDataSchema, HandshakeAuthSchema, MAX_TOKEN_LENGTH } from './handshake';
import { PROTOCOL_VERSION } from './protocol-version';

describe('HandshakeAuthSchema', () => {
  it('accepts the current protocol version with and without a token', () => {
    expect(HandshakeAuthSchema.parse({ protocolVersion: PROTOCOL_VERSION })).toEqual({ protocolVersion: 1 });
    expect(HandshakeAuthSchema.parse({ protocolVersion: PROTOCOL_VERSION, token: 'secret' })).toEqual({ protocolVersion: 1, token: 'secret' });
  });

  it('accepts another positive version, so a server can refuse it as UNSUPPORTED_PROTOCOL rather than INVALID_PAYLOAD', () => {
    expect(HandshakeAuthSchema.parse({ protocolVersion: PROTOCOL_VERSION + 1 }).protocolVersion).toBe(2);
  });

  it(`accepts a ${MAX_TOKEN_LENGTH}-character token and refuses a longer one`, () => {
    expect(HandshakeAuthSchema.safeParse({ protocolVersion: 1, token: 't'.repeat(MAX_TOKEN_LENGTH) }).success).toBe(true);
    expect(HandshakeAuthSchema.safeParse({ protocolVersion: 1, token: 't'.repeat(MAX_TOKEN_LENGTH + 1) }).error?.issues[0]?.path).toEqual(['token']);
  });

  it.each([
    ['a missing version', {}, 'protocolVersion'],
    ['version 0', { protocolVersion: 0 }, 'protocolVersion'],
    ['a string version', { protocolVersion: '1' }, 'protocolVersion'],
    ['a fractional version', { protocolVersion: 1.1 }, 'protocolVersion'],
    ['a NaN version', { protocolVersion: Number.NaN }, 'protocolVersion'],
    ['a numeric token', { protocolVersion: 1, token: 42 }, 'token'],
  ])('refuses %s', (_label, value, path) => {
    expect(HandshakeAuthSchema.safeParse(value).error?.issues[0]?.path).toEqual([path]);
  });

  it.each([
    ['an unknown key', '{"protocolVersion":1,"user":"admin"}'],
    ['__proto__', '{"protocolVersion":1,"__proto__":{"polluted":1}}'],
    ['constructor', '{"protocolVersion":1,"constructor":{"polluted":1}}'],
  ])('is strict: refuses %s', (_label, text) => {
    expect(HandshakeAuthSchema.safeParse(JSON.parse(text)).error?.issues[0]?.code).toBe('unrecognized_keys');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses the empty auth object a plain Socket.IO client sends', () => {
    expect(HandshakeAuthSchema.safeParse({}).success).toBe(false);
  });
});

describe('ConnectErrorDataSchema', () => {
  it('reads the data of a refused handshake as a protocol error', () => {
    const data = { code: ErrorCode.UNSUPPORTED_PROTOCOL, message: 'protocol version 2 is not supported; use 1' };
    expect(ConnectErrorDataSchema.parse(data)).toEqual(data);
  });

  it('refuses data without a known code', () => {
    expect(ConnectErrorDataSchema.safeParse({ message: 'refused' }).success).toBe(false);
    expect(ConnectErrorDataSchema.safeParse({ code: 'NOPE', message: 'refused' }).success).toBe(false);
  });
});
