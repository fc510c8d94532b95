import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCheckAgreesWithSchema } from '../test/support/check-agrees-with-schema';
import { mutants } from '../test/support/wire-mutants';
import { MAX_JOB_DATA_BYTES } from './job-data';
import { JobUpdateInputSchema } from './job-update';
import { safeParseWithMessages } from './parse-payload';
import { JOB_STATUSES } from './status';
import { JobUpdateInputCheck } from './update-input-check';

const json = fc.jsonValue({ maxDepth: 3 });
const input = fc.record(
  { status: fc.constantFrom(...JOB_STATUSES), progress: fc.option(fc.double({ min: -10, max: 110, noNaN: true }), { nil: undefined }), data: fc.option(json, { nil: undefined }) },
  { requiredKeys: ['status'] },
);

/** Inputs an application might hand `update()`, good and bad. */
const INPUTS: readonly unknown[] = [
  { status: 'running' },
  { status: 'running', progress: 0, data: null },
  { status: 'completed', progress: 100, data: { rows: [1, 2, 3], note: 'ünïcode ✓' } },
  { status: 'running', progress: 100.5 },
  { status: 'running', progress: -0.1 },
  { status: 'running', progress: Number.NaN },
  { status: 'running', progress: '50' },
  { status: 'paused' },
  { progress: 5 },
  { status: 'running', seq: 3 },
  { status: 'running', data: { blob: 'x'.repeat(MAX_JOB_DATA_BYTES) } },
  { status: 'running', data: { text: 'é'.repeat(MAX_JOB_DATA_BYTES / 2 - 8) } },
  { status: 'running', data: { text: 'é'.repeat(MAX_JOB_DATA_BYTES / 2) } },
  { status: 'running', data: JSON.parse('{"__proto__":{"polluted":true}}') },
  { status: 'running', data: new Date(0) },
  { status: 'running', data: () => 1 },
  { status: 'running', data: undefined, progress: undefined },
  ['running'],
  'running',
  null,
  undefined,
];

/** Inputs whose inherited keys zod majors read differently: the check may refuse where the schema accepts (zod then answers), never the reverse. */
const ODD_INPUTS: readonly unknown[] = [Object.assign(Object.create({ inherited: 1 }) as object, { status: 'running' }), Object.create({ status: 'running' })];

describe('JobUpdateInputCheck', () => {
  it('accepts and refuses exactly what JobUpdateInputSchema does, naming the same path and problem', () => {
    expectCheckAgreesWithSchema(JobUpdateInputCheck, JobUpdateInputSchema, mutants(input), { numRuns: 1000, minRefused: 100 });
  });

  it.each(INPUTS.map((value) => [value]))('agrees with the schema on %o', (value) => {
    expect(JobUpdateInputCheck(value) === undefined).toBe(safeParseWithMessages(JobUpdateInputSchema, value).success);
  });

  it.each(ODD_INPUTS.map((value) => [value]))('accepts %o only if the schema does', (value) => {
    if (JobUpdateInputCheck(value) === undefined) expect(safeParseWithMessages(JobUpdateInputSchema, value).success).toBe(true);
  });
});
