import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as core from 'zod/v4/core';
import { expectCheckAgreesWithSchema } from '../test/support/check-agrees-with-schema';
import { mutants } from '../test/support/wire-mutants';
import { HandshakeAuthCheck, HeartbeatAckCheck, SubscribeJobRequestCheck, UnsubscribeJobRequestCheck } from './client-message-checks';
import { HandshakeAuthSchema } from './handshake';
import { HeartbeatAckSchema } from './heartbeat';
import { parseChecked } from './parse-checked';
import { parsePayload, safeParseWithMessages } from './parse-payload';
import { SubscribeJobRequestSchema } from './subscribe-job';
import { UnsubscribeJobRequestSchema } from './unsubscribe-job';
import type { WireCheck } from './wire-check';

const jobId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const subscribe = fc.record(
  { jobId, lastSeq: optional(fc.nat()), epoch: optional(fc.string({ minLength: 1, maxLength: 8 })) },
  { requiredKeys: ['jobId'] },
);

const PAIRS: readonly [string, WireCheck<unknown>, core.$ZodType, fc.Arbitrary<unknown>][] = [
  ['SubscribeJobRequestCheck', SubscribeJobRequestCheck, SubscribeJobRequestSchema, mutants(subscribe)],
  ['UnsubscribeJobRequestCheck', UnsubscribeJobRequestCheck, UnsubscribeJobRequestSchema, mutants(fc.record({ jobId }))],
  [
    'HandshakeAuthCheck',
    HandshakeAuthCheck,
    HandshakeAuthSchema,
    mutants(fc.record({ protocolVersion: fc.integer({ min: 1, max: 9 }), token: optional(fc.string({ maxLength: 12 })) }, { requiredKeys: ['protocolVersion'] })),
  ],
  ['HeartbeatAckCheck', HeartbeatAckCheck, HeartbeatAckSchema, mutants(fc.record({ ts: fc.nat() }))],
];

/** Payloads a client might send, good and bad, as Socket.IO's parser hands them over. */
const WIRE_PAYLOADS: readonly unknown[] = [
  { jobId: 'a' },
  { jobId: 'job-1:part_2.x' },
  { jobId: 'j'.repeat(128) },
  { jobId: 'j', lastSeq: 0 },
  { jobId: 'j', lastSeq: Number.MAX_SAFE_INTEGER, epoch: 'e'.repeat(64) },
  { jobId: 'j'.repeat(129) },
  { jobId: '' },
  { jobId: 'a b' },
  { jobId: 'ünïcode' },
  { jobId: 7 },
  { jobId: null },
  {},
  { jobid: 'j' },
  { jobId: 'j', lastSeq: -1 },
  { jobId: 'j', lastSeq: 1.5 },
  { jobId: 'j', lastSeq: '3' },
  { jobId: 'j', lastSeq: 1e300 },
  { jobId: 'j', lastSeq: Number.MAX_SAFE_INTEGER + 2 },
  { jobId: 'j', lastSeq: null },
  { jobId: 'j', epoch: '' },
  { jobId: 'j', epoch: 'e'.repeat(65) },
  { jobId: 'j', epoch: 1 },
  { jobId: 'j', extra: true },
  { jobId: 'j', constructor: 1 },
  { jobId: 'j', toString: 'x' },
  JSON.parse('{"jobId":"j","__proto__":{"polluted":true}}'),
  ['j'],
  'j',
  null,
  42,
];

/** Values no parser produces, which the check may refuse where a zod major accepts them (zod then answers), never the reverse. */
const ODD_PAYLOADS: readonly unknown[] = [
  { jobId: 'j', lastSeq: undefined, epoch: undefined },
  { jobId: 'j', lastSeq: Number.NaN },
  Object.assign(Object.create({ inherited: 1 }), { jobId: 'j' }),
  Object.assign(Object.create(null), { jobId: 'j' }),
  Object.create({ jobId: 'j' }),
  undefined,
  new Date(0),
  new Map([['jobId', 'j']]),
];

/** What the server reads of a subscribe request. */
const fields = (value: unknown) => {
  const { jobId, lastSeq, epoch } = value as Record<string, unknown>;
  return { jobId, lastSeq, epoch };
};

describe('wire checks of what a client sends', () => {
  it.each(PAIRS)('%s accepts and refuses exactly what its schema does, naming the same path and problem', (_name, check, schema, values) => {
    expectCheckAgreesWithSchema(check, schema, values, { numRuns: 1000, minRefused: 100 });
  });

  it.each(WIRE_PAYLOADS.map((payload) => [payload]))('SubscribeJobRequestCheck agrees with the schema on %o', (payload) => {
    expect(SubscribeJobRequestCheck(payload) === undefined).toBe(safeParseWithMessages(SubscribeJobRequestSchema, payload).success);
  });

  it.each(ODD_PAYLOADS.map((payload) => [payload]))('SubscribeJobRequestCheck accepts %o only if the schema does', (payload) => {
    if (SubscribeJobRequestCheck(payload) === undefined) expect(safeParseWithMessages(SubscribeJobRequestSchema, payload).success).toBe(true);
  });
});

describe('parseChecked', () => {
  it.each([...WIRE_PAYLOADS, ...ODD_PAYLOADS].map((payload) => [payload]))('answers %o as parsePayload does', (payload) => {
    const checked = parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, payload, 'subscribe-job');
    const parsed = parsePayload(SubscribeJobRequestSchema, payload, 'subscribe-job');
    expect(checked.ok).toBe(parsed.ok);
    if (checked.ok && parsed.ok) expect(fields(checked.value)).toEqual(fields(parsed.value));
    else expect(checked).toEqual(parsed);
  });

  it('answers every mutant as parsePayload does', () => {
    fc.assert(
      fc.property(mutants(subscribe), (payload) => {
        const checked = parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, payload, 'subscribe-job');
        const parsed = parsePayload(SubscribeJobRequestSchema, payload, 'subscribe-job');
        expect(checked.ok).toBe(parsed.ok);
        if (checked.ok && parsed.ok) expect(fields(checked.value)).toEqual(fields(parsed.value));
        else expect(checked).toEqual(parsed);
      }),
      { numRuns: 500 },
    );
  });

  it('hands back the very value it checked', () => {
    const payload = { jobId: 'j', lastSeq: 3 };
    const result = parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, payload);
    expect(result.ok && result.value).toBe(payload);
  });

  it('words a refusal with the schema, and reads a hostile object without throwing', () => {
    expect(parseChecked(UnsubscribeJobRequestCheck, UnsubscribeJobRequestSchema, { jobId: 'a b' }, 'unsubscribe-job')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'unsubscribe-job.jobId: jobId may only contain letters, digits and . _ : -' },
    });
    expect(parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, { jobId: 'j', extra: 1 }, 'subscribe-job')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'subscribe-job: Unrecognized key: "extra"' },
    });
    const hostile = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, hostile, 'subscribe-job')).toEqual({
      ok: false,
      error: { code: 'INVALID_PAYLOAD', message: 'subscribe-job could not be read' },
    });
  });
});
