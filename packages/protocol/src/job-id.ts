import * as z from 'zod';

/** Longest job id accepted, in characters. */
export const MAX_JOB_ID_LENGTH = 128;

/** Letters, digits and `._:-`: safe in URLs, Redis keys, logs and room names. */
const JOB_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

/** A job id: 1–128 characters of `A–Z a–z 0–9 . _ : -`. */
export const JobIdSchema = z
  .string()
  .min(1, 'jobId must not be empty')
  .max(MAX_JOB_ID_LENGTH, `jobId must be at most ${MAX_JOB_ID_LENGTH} characters`)
  .regex(JOB_ID_PATTERN, 'jobId may only contain letters, digits and . _ : -')
  .meta({ description: 'Job identifier: 1–128 characters of A–Z a–z 0–9 . _ : -' });

/** A job id. */
export type JobId = z.infer<typeof JobIdSchema>;
