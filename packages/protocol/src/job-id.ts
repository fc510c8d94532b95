import * as z from 'zod/v4/mini';
import { schemaDocs } from './schema-docs';

/** Longest job id accepted, in characters. */
export const MAX_JOB_ID_LENGTH = 128;

/** Letters, digits and `._:-`: safe in URLs, Redis keys, logs and room names. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** Why a job id is refused, by the rule it breaks. */
export const JOB_ID_PROBLEMS = {
  empty: 'jobId must not be empty',
  long: `jobId must be at most ${MAX_JOB_ID_LENGTH} characters`,
  characters: 'jobId may only contain letters, digits and . _ : -',
} as const;

/** A job id: 1–128 characters of `A–Z a–z 0–9 . _ : -`. */
export const JobIdSchema = /* @__PURE__ */ (() =>
  z
    .string()
    .check(
      z.minLength(1, JOB_ID_PROBLEMS.empty),
      z.maxLength(MAX_JOB_ID_LENGTH, JOB_ID_PROBLEMS.long),
      z.regex(JOB_ID_PATTERN, JOB_ID_PROBLEMS.characters),
    )
    .register(schemaDocs, { description: 'Job identifier: 1–128 characters of A–Z a–z 0–9 . _ : -' }))();

/** A job id. */
export type JobId = z.infer<typeof JobIdSchema>;
