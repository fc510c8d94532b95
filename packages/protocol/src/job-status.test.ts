import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, JobStatusSchema, TERMINAL_STATUSES, isTerminal } from './job-status';

describe('JobStatusSchema', () => {
  it.each(JOB_STATUSES)('accepts %s', (status) => {
    expect(JobStatusSchema.parse(status)).toBe(status);
  });

  it.each(['done', 'Running', 'RUNNING', '', ' queued', 'processing', 0, null, undefined, ['queued']])('refuses %j', (value) => {
    expect(JobStatusSchema.safeParse(value).success).toBe(false);
  });

  it('lists the statuses in lifecycle order', () => {
    expect(JOB_STATUSES).toEqual(['queued', 'running', 'completed', 'failed', 'cancelled']);
  });
});

describe('isTerminal', () => {
  it.each([
    ['queued', false],
    ['running', false],
    ['completed', true],
    ['failed', true],
    ['cancelled', true],
  ] as const)('says %s is terminal: %s', (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
  });

  it('agrees with TERMINAL_STATUSES for every status', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual([...TERMINAL_STATUSES]);
  });
});
