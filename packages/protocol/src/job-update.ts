import * as z from 'zod/v4/mini';
import { intSchema } from './int-schema';
import { JobDataSchema } from './job-data';
import { JobEpochSchema } from './job-epoch';
import { JobIdSchema } from './job-id';
import { JobStatusSchema } from './job-status';
import { schemaDocs } from './schema-docs';

/** Position of an update in its job's history; 0 means "nothing seen yet", the first update is 1. */
export const SeqSchema = /* @__PURE__ */ (() =>
  intSchema().check(z.nonnegative()).register(schemaDocs, { description: 'Update sequence number of a job; first update is 1' }))();

/** Job progress in percent. */
export const ProgressSchema = /* @__PURE__ */ (() =>
  z.number().check(z.minimum(0), z.maximum(100)).register(schemaDocs, { description: 'Progress in percent, 0–100' }))();

/** Milliseconds since the Unix epoch. */
export const TimestampSchema = /* @__PURE__ */ (() =>
  intSchema().check(z.nonnegative()).register(schemaDocs, { description: 'Milliseconds since the Unix epoch' }))();

/** One update of a job, as fanned out to its subscribers; the newest one is the job's snapshot. */
export const JobUpdateSchema = /* @__PURE__ */ (() =>
  z
    .object({
      jobId: JobIdSchema,
      epoch: JobEpochSchema,
      seq: SeqSchema.check(z.minimum(1)).register(schemaDocs, { description: 'Update sequence number of a job; first update is 1' }),
      status: JobStatusSchema,
      progress: z.optional(ProgressSchema),
      data: z.optional(JobDataSchema),
      at: TimestampSchema,
      conflated: z.optional(z.literal(true)).register(schemaDocs, {
        description: 'Set when the server skipped older updates of this job for this connection (it read too slowly): the seq jump before it is newer state, not a gap',
      }),
    })
    .register(schemaDocs, { title: 'JobUpdate', description: 'One update of a job; the newest one is its snapshot' }))();

/** One update of a job. */
export type JobUpdate = z.infer<typeof JobUpdateSchema>;

/** What a backend publishes; the server adds `jobId`, `seq` and `at`. */
export const JobUpdateInputSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    status: JobStatusSchema,
    progress: z.optional(ProgressSchema),
    data: z.optional(JobDataSchema),
  }))();

/** What a backend publishes for a job. */
export type JobUpdateInput = z.infer<typeof JobUpdateInputSchema>;

/** Why a server drops a job before it finished: `stale` (no update for too long) or `gone` (its store lost the job's history). */
export const JOB_EXPIRED_REASONS = ['stale', 'gone'] as const;

/** Why a server dropped a job before it finished: `stale` (no update for too long) or `gone` (its store lost the job's history). */
export const JobExpiredReasonSchema = /* @__PURE__ */ (() => z.enum(JOB_EXPIRED_REASONS))();

/** Tells subscribers that a job was dropped (no update for too long, or its history was lost) and no update of that history will follow. */
export const JobExpiredSchema = /* @__PURE__ */ (() =>
  z
    .object({ jobId: JobIdSchema, lastSeq: SeqSchema, reason: JobExpiredReasonSchema })
    .register(schemaDocs, {
      title: 'JobExpired',
      description: 'A job was dropped by the server before reaching a terminal status, or its history was lost',
    }))();

/** Payload of `job-expired`. */
export type JobExpired = z.infer<typeof JobExpiredSchema>;
