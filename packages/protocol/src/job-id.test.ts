import { describe, expect, it } from 'vitest';
import { JobIdSchema, MAX_JOB_ID_LENGTH } from './job-id';

describe('JobIdSchema', () => {
  it.each(['a', 'job-1', 'export_2024.csv', 'tenant:42:render', 'A.b_C:d-9', 'x'.repeat(MAX_JOB_ID_LENGTH)])(
    'accepts the safe id %s',
    (id) => {
      expect(JobIdSchema.parse(id)).toBe(id);
    },
  );

  it('refuses an empty id with a readable message', () => {
    const result = JobIdSchema.safeParse('');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('jobId must not be empty');
  });

  it('refuses an id one character over the 128 limit', () => {
    const result = JobIdSchema.safeParse('x'.repeat(MAX_JOB_ID_LENGTH + 1));
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([`jobId must be at most ${MAX_JOB_ID_LENGTH} characters`]);
  });

  it.each([' ', 'a b', 'a/b', 'a\\b', '../etc', 'a\nb', 'a\u0000b', 'jöb', '💥', '<script>', 'a*', 'a?b', 'a#b', '%41'])(
    'refuses the unsafe id %j',
    (id) => {
      const result = JobIdSchema.safeParse(id);
      expect(result.error?.issues[0]?.message).toBe('jobId may only contain letters, digits and . _ : -');
    },
  );

  it.each([42, null, undefined, {}, ['a'], true, Symbol('a')])('refuses the non-string %s', (value) => {
    expect(JobIdSchema.safeParse(value).error?.issues[0]?.code).toBe('invalid_type');
  });
});
