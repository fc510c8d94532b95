import { describe, expectTypeOf, it } from 'vitest';
import type { ErrorCode, ProtocolError } from './error-codes';
import type { HandshakeAuth } from './handshake';
import { HandshakeAuthSchema } from './handshake';
import { parsePayload, type ParseResult } from './parse-payload';
import { SubscribeJobRequestSchema, type SubscribeJobRequest } from './subscribe-job';

describe('parsePayload types', () => {
  it('infers the value type from the schema and takes unknown input', () => {
    expectTypeOf(parsePayload(SubscribeJobRequestSchema, {} as unknown)).toEqualTypeOf<ParseResult<SubscribeJobRequest>>();
    expectTypeOf(parsePayload(HandshakeAuthSchema, null)).toEqualTypeOf<ParseResult<HandshakeAuth>>();
  });

  it('narrows on ok', () => {
    const result = parsePayload(SubscribeJobRequestSchema, undefined);
    if (result.ok) expectTypeOf(result.value.jobId).toBeString();
    else expectTypeOf(result.error).toEqualTypeOf<ProtocolError>();
  });
});

describe('ProtocolError', () => {
  it('carries a code from the union, a message and an optional retry delay', () => {
    expectTypeOf<ProtocolError>().toEqualTypeOf<{ code: ErrorCode; message: string; retryAfterMs?: number | undefined }>();
    expectTypeOf<'INVALID_PAYLOAD'>().toExtend<ErrorCode>();
    expectTypeOf<'NOT_A_CODE'>().not.toExtend<ErrorCode>();
  });
});
