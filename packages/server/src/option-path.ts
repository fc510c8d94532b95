import type * as core from 'zod/v4/core';

/**
 * The issue to report: the first one, or for a union without a message of its own, the first problem inside the option
 * the value was meant for (the one it got past the type check of). zod 4.1+ reports that itself; zod 3.25 (zod 4.0's
 * code) reports the union as one `Invalid input` issue.
 */
function reported(issues: readonly core.$ZodIssue[]): core.$ZodIssue | undefined {
  const [issue] = issues;
  if (issue?.code !== 'invalid_union' || issue.message !== 'Invalid input') return issue;
  // The option whose own type the value has: its first problem is not the value's type, or lies inside the value.
  const meant = issue.errors.find((option) => option[0] !== undefined && (option[0].code !== 'invalid_type' || option[0].path.length > 0));
  const inner = meant && reported(meant);
  return inner ? { ...inner, path: [...issue.path, ...inner.path] } : issue;
}

/** The dotted path and message of the first problem zod found in an options object (unknown keys named in full). */
export function firstOptionIssue(error: core.$ZodError): { option: string; message: string } {
  const issue = reported(error.issues);
  const path = issue?.path.map(String).join('.') ?? '';
  const option = issue?.code === 'unrecognized_keys' ? [path, ...issue.keys].filter(Boolean).join('.') : path || '(options)';
  return { option, message: issue?.message ?? 'invalid' };
}
