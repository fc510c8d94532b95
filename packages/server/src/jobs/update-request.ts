import { invalidPayload, JobIdSchema, JobProtocolError, JobUpdateInputSchema, safeParseWithMessages, type JobUpdateInput } from '@org/ws-protocol';

/** A validated `update(jobId, input)` call. */
export interface UpdateRequest {
  /** The job. */
  jobId: string;
  /** The update without `seq` and `at`. */
  input: JobUpdateInput;
}

/** Validates the arguments of `update()` (server and job publisher alike); throws `JobProtocolError` `INVALID_PAYLOAD`. */
export function parseUpdateRequest(jobId: unknown, input: unknown): UpdateRequest {
  const id = safeParseWithMessages(JobIdSchema, jobId);
  if (!id.success) throw new JobProtocolError(invalidPayload(id.error, 'jobId'));
  const parsed = safeParseWithMessages(JobUpdateInputSchema, input);
  if (!parsed.success) throw new JobProtocolError(invalidPayload(parsed.error, 'update'));
  return { jobId: id.data, input: parsed.data };
}

