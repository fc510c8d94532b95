import { describe, expectTypeOf, it } from 'vitest';
import type * as z from 'zod/v4/mini';
import { ProtocolErrorSchema, type ProtocolError } from './error-codes';
import { JobStatusSchema, isTerminal, type JobStatus, type TerminalJobStatus } from './job-status';

describe('JobStatus', () => {
  it('is the union of the five statuses', () => {
    expectTypeOf<JobStatus>().toEqualTypeOf<'queued' | 'running' | 'completed' | 'failed' | 'cancelled'>();
    expectTypeOf<TerminalJobStatus>().toEqualTypeOf<'completed' | 'failed' | 'cancelled'>();
  });

  it('is narrowed by isTerminal', () => {
    const status = 'running' as JobStatus;
    if (isTerminal(status)) expectTypeOf(status).toEqualTypeOf<TerminalJobStatus>();
    else expectTypeOf(status).toEqualTypeOf<'queued' | 'running'>();
  });
});

describe('types written outside zod', () => {
  it('equal the types inferred from their schemas', () => {
    expectTypeOf<z.infer<typeof JobStatusSchema>>().toEqualTypeOf<JobStatus>();
    expectTypeOf<z.infer<typeof ProtocolErrorSchema>>().toEqualTypeOf<ProtocolError>();
  });
});
