import type { JobUpdate, StandardSchemaV1 } from '@org/ws-protocol';
import { JobClientError } from './errors';
import type { JobResumePoint } from './resume-point';

/** Checks an update's `data`: the update with the schema's output as `data`, or the `INVALID_DATA` error. */
export type JobDataCheck = (update: JobUpdate) => JobUpdate | JobClientError;

/** Where an issue is, as `a.b.0`, or `data` for the whole value. */
const issuePath = (issue: StandardSchemaV1.Issue): string =>
  issue.path?.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.') || 'data';

/**
 * A check of `data` (absent data is checked as `undefined`) against a Standard Schema (zod, valibot, arktype, ...).
 * Synchronous schemas only: a schema that answers with a promise fails every update.
 */
export function jobDataCheck(schema: StandardSchemaV1): JobDataCheck {
  return (update) => {
    const invalid = (reason: string, cause?: unknown): JobClientError =>
      new JobClientError('INVALID_DATA', `data of job ${update.jobId} (seq ${update.seq}) does not match its schema: ${reason}`, { jobId: update.jobId, update, cause });
    let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
    try {
      result = schema['~standard'].validate(update.data);
    } catch (cause) {
      return invalid('the schema threw', cause);
    }
    if (result instanceof Promise) return invalid('the schema is asynchronous, only synchronous schemas are supported');
    if (result.issues) return invalid(result.issues.map((issue) => `${issuePath(issue)}: ${issue.message}`).join('; '), result.issues);
    const { data: _unchecked, ...rest } = update;
    return result.value === undefined ? rest : { ...rest, data: result.value as JobUpdate['data'] };
  };
}

/** The `data` option of `subscribe()`, `watch()` and `waitFor()`. */
export interface JobDataOptions<Data = unknown> {
  /**
   * A Standard Schema (zod, valibot, arktype, ...) that every update's `data` must pass (absent data is checked as
   * `undefined`: make it optional when some updates carry none); its output types `data`. A failing update is reported
   * as `INVALID_DATA`, never thrown. Synchronous schemas only. @default undefined (data unchecked, typed by the client's map)
   */
  data?: StandardSchemaV1<unknown, Data> | undefined;
}

/** Options of `subscribe()`. */
export interface SubscribeOptions<Data = unknown> extends JobDataOptions<Data> {
  /**
   * The last update of the job the caller has seen (any `{ epoch, seq }` of it), for a job it stopped watching a while
   * (a view kept while hidden): a new subscription goes on from there, as after a reconnect: the server replays what
   * came after it, and a job it no longer has ends `expired` (reason `gone`), instead of being waited for as a job
   * not started yet. Nothing up to it is delivered again. Ignored while the client already follows the job.
   * @default undefined (a new watcher: the snapshot first)
   */
  resumeFrom?: JobResumePoint | undefined;
}

/** The check for a `data` option, if any; throws `INVALID_OPTIONS` when the options are not an object or `data` is not a Standard Schema. */
export function checkOf(options: JobDataOptions): JobDataCheck | undefined {
  if (typeof options !== 'object' || options === null) throw new JobClientError('INVALID_OPTIONS', `options must be an object, got ${options === null ? 'null' : typeof options}`);
  const { data } = options;
  if (data === undefined) return undefined;
  const standard = typeof data === 'object' || typeof data === 'function' ? (data as Partial<StandardSchemaV1> | null)?.['~standard'] : undefined;
  if (typeof standard?.validate !== 'function') throw new JobClientError('INVALID_OPTIONS', 'options.data must be a Standard Schema (zod, valibot, arktype, ...)');
  return jobDataCheck(data);
}
