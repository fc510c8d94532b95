import type * as core from 'zod/v4/core';

/** The dotted path and message of the first problem zod found in an options object (unknown keys named in full). */
export function firstOptionIssue(error: core.$ZodError): { option: string; message: string } {
  const [issue] = error.issues;
  const path = issue?.path.map(String).join('.') ?? '';
  const option = issue?.code === 'unrecognized_keys' ? [path, ...issue.keys].filter(Boolean).join('.') : path || '(options)';
  return { option, message: issue?.message ?? 'invalid' };
}
