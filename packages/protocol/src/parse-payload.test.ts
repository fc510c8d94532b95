import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as core from 'zod/v4/core';
import { HeartbeatAckSchema, HeartbeatSchema } from './heartbeat';
import { HandshakeAuthSchema } from './handshake';
import { ErrorCode, MAX_ERROR_MESSAGE_LENGTH, ProtocolErrorSchema } from './error-codes';
import { JobExpiredSchema, JobUpdateInputSchema, JobUpdateSchema } from './job-update';
import { describeZodError, invalidPayload, parsePayload } from './parse-payload';
import { SubscribeJobAckSchema, SubscribeJobRequestSchema } from './subscribe-job';
import { TimeoutNoticeAckSchema, TimeoutNoticeSchema } from './timeout-notice';
import { UnsubscribeJobAckSchema, UnsubscribeJobRequestSchema } from './unsubscribe-job';

/** Every schema a peer's payload goes through. */
const WIRE_SCHEMAS = {
  SubscribeJobRequestSchema,
  SubscribeJobAckSchema,
  UnsubscribeJobRequestSchema,
  UnsubscribeJobAckSchema,
  JobUpdateSchema,
  JobUpdateInputSchema,
  JobExpiredSchema,
  HeartbeatSchema,
  HeartbeatAckSchema,
  TimeoutNoticeSchema,
  TimeoutNoticeAckSchema,
  HandshakeAuthSchema,
} satisfies Record<string, core.$ZodType>;

/** Strict payloads with one valid example each: what clients send to servers and backends publish. */
const STRICT_PAYLOADS: readonly [string, core.$ZodType, Record<string, unknown>][] = [
  ['subscribe-job', SubscribeJobRequestSchema, { jobId: 'job-1', lastSeq: 2 }],
  ['unsubscribe-job', UnsubscribeJobRequestSchema, { jobId: 'job-1' }],
  ['heartbeat ack', HeartbeatAckSchema, { ts: 1 }],
  ['server-timeout-notice ack', TimeoutNoticeAckSchema, { reason: 'shutdown' }],
  ['handshake auth', HandshakeAuthSchema, { protocolVersion: 1, token: 't' }],
  ['job update input', JobUpdateInputSchema, { status: 'running', progress: 5 }],
];

function errorOf<T>(result: { ok: true; value: T } | { ok: false; error: unknown }) {
  if (result.ok) throw new Error('expected a refusal');
  return result.error;
}

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>)['polluted'];
});

describe('describeZodError', () => {
  it('names the subject and the path of the first problem', () => {
    const error = SubscribeJobRequestSchema.safeParse({ jobId: 'a b' }).error!;
    expect(describeZodError(error, 'subscribe-job')).toBe('subscribe-job.jobId: jobId may only contain letters, digits and . _ : -');
  });

  it('says "payload" when no subject is given, and paths into arrays', () => {
    const error = SubscribeJobAckSchema.safeParse({ ok: true, jobId: 'j', epoch: null, snapshot: null, updates: [{}], resync: false }).error!;
    expect(describeZodError(error)).toMatch(/^payload\.updates\.0\.jobId: .+ \(and 4 more problems\)$/);
  });

  it('counts one more problem in the singular', () => {
    const error = UnsubscribeJobRequestSchema.safeParse({ jobId: '' }).error!;
    expect(describeZodError(error)).toBe('payload.jobId: jobId must not be empty (and 1 more problem)');
  });

  it('describes a failure without issues', () => {
    expect(describeZodError(new core.$ZodError([]), 'auth')).toBe('auth is invalid');
  });

  it('is one short line: no stack, no issue dump, within the message bound', () => {
    const hostile = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`key-${index}\n    at evil (/x.js:1:1)`, index]));
    const error = SubscribeJobRequestSchema.safeParse(hostile).error!;
    const sentence = describeZodError(error, 'subscribe-job');
    expect(sentence.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
    expect(sentence).not.toMatch(/[\r\n\t]/);
    expect(sentence).not.toMatch(/"code":|"issues"|"path":|ZodError/);
    expect(sentence.startsWith('subscribe-job')).toBe(true);
  });

  it('bounds a message that echoes a huge unknown key', () => {
    const error = SubscribeJobRequestSchema.safeParse({ jobId: 'j', ['k'.repeat(100_000)]: 1 }).error!;
    expect(describeZodError(error).length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
  });
});

describe('invalidPayload', () => {
  it('turns a zod failure into INVALID_PAYLOAD with the description', () => {
    const error = HeartbeatAckSchema.safeParse({ ts: 'now' }).error!;
    expect(invalidPayload(error, 'heartbeat')).toStrictEqual({ code: ErrorCode.INVALID_PAYLOAD, message: describeZodError(error, 'heartbeat') });
  });
});

describe('parsePayload', () => {
  it('returns the typed value of a valid payload', () => {
    expect(parsePayload(SubscribeJobRequestSchema, { jobId: 'job-1', lastSeq: 3 })).toStrictEqual({ ok: true, value: { jobId: 'job-1', lastSeq: 3 } });
  });

  it('returns INVALID_PAYLOAD with a readable message for a bad one', () => {
    expect(parsePayload(SubscribeJobRequestSchema, { jobId: 42 }, 'subscribe-job')).toStrictEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'subscribe-job.jobId: Invalid input: expected string, received number' },
    });
  });

  it('returns INVALID_PAYLOAD for a hostile object whose getters throw', () => {
    const trap = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
    expect(parsePayload(SubscribeJobRequestSchema, trap, 'subscribe-job')).toStrictEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'subscribe-job could not be read' },
    });
    expect(errorOf(parsePayload(JobUpdateSchema, { jobId: 'j', epoch: 'e', seq: 1, status: 'running', at: 1, data: trap }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
  });

  it.each(STRICT_PAYLOADS)('refuses __proto__ and constructor keys on the strict %s payload without polluting anything', (subject, schema, valid) => {
    expect(parsePayload(schema, valid, subject).ok).toBe(true);
    for (const [key, text] of [
      ['__proto__', JSON.stringify(valid).replace(/^\{/, '{"__proto__":{"polluted":1},')],
      ['constructor', JSON.stringify(valid).replace(/^\{/, '{"constructor":{"prototype":{"polluted":1}},')],
    ] as const) {
      const error = errorOf(parsePayload(schema, JSON.parse(text), subject));
      expect(error).toStrictEqual({ code: 'INVALID_PAYLOAD', message: `${subject}: Unrecognized key: "${key}"` });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    }
  });

  it.each(Object.entries(WIRE_SCHEMAS))('never throws for %s and always yields a valid value or a bounded wire error', (_name, schema) => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }),
          fc.jsonValue(),
          fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'jobId', 'lastSeq', 'ts', 'reason', 'status', 'data'), fc.jsonValue()),
        ),
        (input) => {
          const result = parsePayload(schema, input);
          if (result.ok) {
            expect(schema.safeParse(result.value).success).toBe(true);
          } else {
            expect(ProtocolErrorSchema.parse(result.error)).toStrictEqual(result.error);
            expect(result.error.code).toBe('INVALID_PAYLOAD');
            expect(result.error.message).not.toMatch(/[\r\n]/);
          }
          expect(Object.prototype).not.toHaveProperty('polluted');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts every well-formed subscribe-job request and refuses every malformed job id', () => {
    const safeChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-');
    const safeId = fc.string({ unit: safeChar, minLength: 1, maxLength: 128 });
    fc.assert(
      fc.property(safeId, fc.option(fc.nat(), { nil: undefined }), (jobId, lastSeq) => {
        const request = lastSeq === undefined ? { jobId } : { jobId, lastSeq };
        expect(parsePayload(SubscribeJobRequestSchema, request)).toStrictEqual({ ok: true, value: request });
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }).filter((id) => !/^[A-Za-z0-9._:-]{1,128}$/.test(id)), (jobId) => {
        expect(errorOf(parsePayload(SubscribeJobRequestSchema, { jobId }))).toMatchObject({ code: 'INVALID_PAYLOAD' });
      }),
      { numRuns: 200 },
    );
  });
});
