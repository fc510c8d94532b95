import {
  JobIdCheck,
  JobIdSchema,
  JobProtocolError,
  JobUpdateInputCheck,
  JobUpdateInputSchema,
  parseChecked,
  parsePayload,
  type JobUpdateInput,
  type ParseResult,
} from '@org/ws-protocol';
import { snapshotJobData } from './job-data-snapshot';

/** A validated `update(jobId, input)` call. */
export interface UpdateRequest {
  /** The job. */
  jobId: string;
  /** The update without `seq` and `at`: an object of its own, not the caller's. */
  input: JobUpdateInput;
}

const INPUT_KEYS: ReadonlySet<string> = /* @__PURE__ */ new Set(['status', 'progress', 'data']);

/**
 * The fields of an update input, each read once into an object of their own (`data` down to its last item), or
 * `undefined` when `input` is not an object of those keys only (or cannot be read): zod then says what is wrong with it.
 */
function copyInput(input: unknown): Record<string, unknown> | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  try {
    // Every enumerable key, inherited ones too, as the schema's strict object reads them.
    for (const key in input) if (!INPUT_KEYS.has(key)) return undefined;
    const { status, progress, data } = input as Record<string, unknown>;
    const copy: Record<string, unknown> = { status };
    if (progress !== undefined) copy.progress = progress;
    if (data !== undefined) copy.data = snapshotJobData(data);
    return copy;
  } catch {
    return undefined;
  }
}

/** Validates an update input with its zod-free check, falling back to the schema for the wording of a refusal. */
function parseInput(input: unknown): ParseResult<JobUpdateInput> {
  const copy = copyInput(input);
  // What is checked is what is used: a getter is not read a second time.
  return copy === undefined ? parsePayload(JobUpdateInputSchema, input, 'update') : parseChecked(JobUpdateInputCheck, JobUpdateInputSchema, copy, 'update');
}

/** Validates the arguments of `update()` (server and job publisher alike); throws `JobProtocolError` `INVALID_PAYLOAD`. */
export function parseUpdateRequest(jobId: unknown, input: unknown): UpdateRequest {
  const id = parseChecked(JobIdCheck, JobIdSchema, jobId, 'jobId');
  if (!id.ok) throw new JobProtocolError(id.error);
  const parsed = parseInput(input);
  if (!parsed.ok) throw new JobProtocolError(parsed.error);
  return { jobId: id.value, input: parsed.value };
}
