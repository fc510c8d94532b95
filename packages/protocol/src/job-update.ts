import * as z from 'zod';
import { JobDataSchema } from './job-data';
import { JobEpochSchema } from './job-epoch';
import { JobIdSchema } from './job-id';
import { JobStatusSchema } from './job-status';

/** Position of an update in its job's history; 0 means "nothing seen yet", the first update is 1. */
export const SeqSchema = z.int().nonnegative().meta({ description: 'Update sequence number of a job; first update is 1' });

/** Job progress in percent. */
export const ProgressSchema = z.number().min(0).max(100).meta({ description: 'Progress in percent, 0–100' });

/** Milliseconds since the Unix epoch. */
export const TimestampSchema = z.int().nonnegative().meta({ description: 'Milliseconds since the Unix epoch' });

/** One update of a job, as fanned out to its subscribers; the newest one is the job's snapshot. */
export const JobUpdateSchema = z
  .object({
    jobId: JobIdSchema,
    epoch: JobEpochSchema,
    seq: SeqSchema.min(1),
    status: JobStatusSchema,
    progress: ProgressSchema.optional(),
    data: JobDataSchema.optional(),
    at: TimestampSchema,
    conflated: z
      .literal(true)
      .optional()
      .meta({ description: 'Set when the server skipped older updates of this job for this connection (it read too slowly): the seq jump before it is newer state, not a gap' }),
  })
  .meta({ title: 'JobUpdate', description: 'One update of a job; the newest one is its snapshot' });

/** One update of a job. */
export type JobUpdate = z.infer<typeof JobUpdateSchema>;

/** What a backend publishes; the server adds `jobId`, `seq` and `at`. */
export const JobUpdateInputSchema = z.strictObject({
  status: JobStatusSchema,
  progress: ProgressSchema.optional(),
  data: JobDataSchema.optional(),
});

/** What a backend publishes for a job. */
export type JobUpdateInput = z.infer<typeof JobUpdateInputSchema>;

/** Why a server dropped a job before it finished: `stale` (no update for too long) or `gone` (its store lost the job's history). */
export const JobExpiredReasonSchema = z.enum(['stale', 'gone']);

/** Tells subscribers that a job was dropped (no update for too long, or its history was lost) and no update of that history will follow. */
export const JobExpiredSchema = z
  .object({ jobId: JobIdSchema, lastSeq: SeqSchema, reason: JobExpiredReasonSchema })
  .meta({ title: 'JobExpired', description: 'A job was dropped by the server before reaching a terminal status, or its history was lost' });

/** Payload of `job-expired`. */
export type JobExpired = z.infer<typeof JobExpiredSchema>;
