import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as core from 'zod/v4/core';
import { ProtocolErrorSchema } from './error-codes';
import { HeartbeatSchema } from './heartbeat';
import { JobIdSchema } from './job-id';
import { JobExpiredSchema, JobUpdateSchema } from './job-update';
import {
  HeartbeatCheck,
  JobExpiredCheck,
  JobIdCheck,
  JobUpdateCheck,
  ProtocolErrorCheck,
  SubscribeJobAckCheck,
  TimeoutNoticeCheck,
  UnsubscribeJobAckCheck,
} from './server-message-checks';
import { JOB_STATUSES } from './status';
import { SubscribeJobAckSchema } from './subscribe-job';
import { TimeoutNoticeSchema } from './timeout-notice';
import { UnsubscribeJobAckSchema } from './unsubscribe-job';
import { parseWire, type WireCheck } from './wire-check';
import { expectCheckAgreesWithSchema } from '../test/support/check-agrees-with-schema';
import { mutants } from '../test/support/wire-mutants';

const jobId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
const epoch = fc.string({ minLength: 1, maxLength: 8 });
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const update = fc.record(
  {
    jobId,
    epoch,
    seq: fc.integer({ min: 1 }),
    status: fc.constantFrom(...JOB_STATUSES),
    progress: optional(fc.double({ min: 0, max: 100, noNaN: true })),
    data: optional(fc.jsonValue({ maxDepth: 3 })),
    at: fc.nat(),
  },
  { requiredKeys: ['jobId', 'epoch', 'seq', 'status', 'at'] },
);
const protocolError = fc.record(
  { code: fc.constantFrom('INTERNAL', 'RATE_LIMITED', 'FORBIDDEN'), message: fc.string({ maxLength: 20 }), retryAfterMs: optional(fc.nat()) },
  { requiredKeys: ['code', 'message'] },
);
const errorAck = fc.record({ ok: fc.constant(false), error: protocolError });

const PAIRS: readonly [string, WireCheck<unknown>, core.$ZodType, fc.Arbitrary<unknown>][] = [
  ['JobIdCheck', JobIdCheck, JobIdSchema, mutants(jobId)],
  ['JobUpdateCheck', JobUpdateCheck, JobUpdateSchema, mutants(update)],
  ['JobExpiredCheck', JobExpiredCheck, JobExpiredSchema, mutants(fc.record({ jobId, lastSeq: fc.nat(), reason: fc.constantFrom('stale', 'gone') }))],
  [
    'HeartbeatCheck',
    HeartbeatCheck,
    HeartbeatSchema,
    mutants(fc.record({ ts: fc.nat(), intervalMs: optional(fc.integer({ min: 1, max: 2 ** 31 - 1 })), timeoutMs: optional(fc.integer({ min: 1 })) }, { requiredKeys: ['ts'] })),
  ],
  [
    'TimeoutNoticeCheck',
    TimeoutNoticeCheck,
    TimeoutNoticeSchema,
    mutants(fc.record({ reason: fc.constantFrom('idle', 'shutdown'), graceMs: fc.nat(), reconnect: fc.boolean(), retryAfterMs: optional(fc.nat()) }, { requiredKeys: ['reason', 'graceMs', 'reconnect'] })),
  ],
  ['ProtocolErrorCheck', ProtocolErrorCheck, ProtocolErrorSchema, mutants(protocolError)],
  [
    'SubscribeJobAckCheck',
    SubscribeJobAckCheck,
    SubscribeJobAckSchema,
    mutants(
      fc.oneof(
        fc.record({
          ok: fc.constant(true),
          jobId,
          epoch: fc.option(epoch, { nil: null }),
          snapshot: fc.option(update, { nil: null }),
          updates: fc.array(update, { maxLength: 3 }),
          resync: fc.boolean(),
        }),
        errorAck,
      ),
    ),
  ],
  ['UnsubscribeJobAckCheck', UnsubscribeJobAckCheck, UnsubscribeJobAckSchema, mutants(fc.oneof(fc.record({ ok: fc.constant(true) }), errorAck))],
];

describe('wire checks of what a server sends', () => {
  it.each(PAIRS)('%s accepts and refuses exactly what its schema does, naming the same path and problem', (_name, check, schema, values) => {
    // Both outcomes are exercised: a good share of the values must be refused.
    expectCheckAgreesWithSchema(check, schema, values, { numRuns: 400, minRefused: 50 });
  });

  it('words a refusal like parsePayload does', () => {
    expect(parseWire(JobUpdateCheck, { jobId: 'j', epoch: 'e', seq: 0, status: 'running', at: 1 }, 'job-update')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'job-update.seq: Too small: expected number to be >=1' },
    });
    expect(parseWire(JobIdCheck, 'a b', 'jobId')).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: 'jobId: jobId may only contain letters, digits and . _ : -' } });
    expect(parseWire(HeartbeatCheck, { ts: 'now' }, 'heartbeat')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'heartbeat.ts: Invalid input: expected number, received string' },
    });
  });

  it('counts characters as code points: a character outside the BMP (an emoji, two UTF-16 units) counts once, whichever zod is installed', () => {
    const update = (epoch: string) => ({ jobId: 'j', epoch, seq: 1, status: 'running', at: 1 });
    expect(parseWire(JobUpdateCheck, update('😀'.repeat(64)))).toMatchObject({ ok: true });
    expect(parseWire(JobUpdateCheck, update('😀'.repeat(65)))).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'payload.epoch: epoch must be at most 64 characters' },
    });
    // A lone surrogate is a character of its own; a pair split across the limit is not counted twice.
    expect(parseWire(ProtocolErrorCheck, { code: 'INTERNAL', message: `${'😀'.repeat(299)}\ud83d` })).toMatchObject({ ok: true });
    expect(parseWire(ProtocolErrorCheck, { code: 'INTERNAL', message: `${'😀'.repeat(300)}\ud83d` })).toMatchObject({ ok: false });
  });

  it('refuses a reply with more updates than a reply may hold before reading any of them', () => {
    const update = { jobId: 'j', epoch: 'e', seq: 1, status: 'running', at: 1 };
    const updates = Array.from({ length: 1001 }, () => ({ ...update, seq: 0 }));
    expect(parseWire(SubscribeJobAckCheck, { ok: true, jobId: 'j', epoch: 'e', snapshot: update, updates, resync: false }, 'reply')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'reply.updates: Too big: expected array to have <=1000 items' },
    });
  });

  it('reads a hostile object without throwing', () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(parseWire(JobUpdateCheck, hostile, 'job-update')).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: 'job-update could not be read' } });
  });

  it('hands back the very value it checked', () => {
    const value = { ok: true };
    expect(parseWire(UnsubscribeJobAckCheck, value)).toEqual({ ok: true, value });
  });
});
