import { describe, expectTypeOf, it } from 'vitest';
import type { JsonValue } from './job-data';
import type { JobStatus } from './job-status';
import type { JobExpired, JobUpdate, JobUpdateInput } from './job-update';

describe('JobUpdate', () => {
  it('has the wire fields with progress, data and the conflation mark optional', () => {
    expectTypeOf<JobUpdate>().toEqualTypeOf<{
      jobId: string;
      epoch: string;
      seq: number;
      status: JobStatus;
      progress?: number | undefined;
      data?: JsonValue | undefined;
      at: number;
      conflated?: true | undefined;
    }>();
  });

  it('leaves jobId, epoch, seq and at out of what a backend publishes', () => {
    expectTypeOf<JobUpdateInput>().toEqualTypeOf<{ status: JobStatus; progress?: number | undefined; data?: JsonValue | undefined }>();
  });

  it('types the expiry notice', () => {
    expectTypeOf<JobExpired>().toEqualTypeOf<{ jobId: string; lastSeq: number; reason: 'stale' | 'gone' }>();
  });
});

describe('JsonValue', () => {
  it('takes JSON and refuses what JSON cannot carry', () => {
    expectTypeOf<{ a: [1, 'b', null, { c: true }] }>().toExtend<JsonValue>();
    expectTypeOf<Date>().not.toExtend<JsonValue>();
    expectTypeOf<undefined>().not.toExtend<JsonValue>();
    expectTypeOf<() => void>().not.toExtend<JsonValue>();
    expectTypeOf<bigint>().not.toExtend<JsonValue>();
  });
});
