import { describe, expectTypeOf, it } from 'vitest';
import { isTerminal, type JobStatus, type TerminalJobStatus } from './job-status';

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
