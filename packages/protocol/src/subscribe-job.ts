import * as z from 'zod/v4/mini';
import { ErrorAckSchema } from './acks';
import { JobEpochSchema } from './job-epoch';
import { JobIdSchema } from './job-id';
import { JobUpdateSchema, SeqSchema } from './job-update';
import { schemaDocs } from './schema-docs';

/** Most updates a server replays in one `subscribe-job` reply. */
export const MAX_REPLAY_UPDATES = 1000;

/** `subscribe-job` payload: the job, and the `epoch` and last `seq` this client already has (for recovery). */
export const SubscribeJobRequestSchema = /* @__PURE__ */ (() =>
  z.strictObject({ jobId: JobIdSchema, lastSeq: z.optional(SeqSchema), epoch: z.optional(JobEpochSchema) }).register(schemaDocs, {
    title: 'SubscribeJobRequest',
    description: 'Start watching a job; lastSeq (with the epoch it counts in) asks for the updates after it',
  }))();

/** `subscribe-job` payload. */
export type SubscribeJobRequest = z.infer<typeof SubscribeJobRequestSchema>;

/** Successful `subscribe-job` reply. */
export const SubscribeJobOkSchema = /* @__PURE__ */ (() =>
  z
    .object({
      ok: z.literal(true),
      jobId: JobIdSchema,
      /** The job's current epoch, or null when the server holds no history of it. */
      epoch: z.nullable(JobEpochSchema),
      /** Latest update, or null before the job's first update. */
      snapshot: z.nullable(JobUpdateSchema),
      /** Updates after `lastSeq`, oldest first (empty without `lastSeq` or on resync). */
      updates: z.array(JobUpdateSchema).check(z.maxLength(MAX_REPLAY_UPDATES)),
      /** True when the updates after `lastSeq` are gone or belong to another epoch: take the snapshot and drop what is older. */
      resync: z.boolean(),
    })
    .register(schemaDocs, { title: 'SubscribeJobOk' }))();

/** Successful `subscribe-job` reply. */
export type SubscribeJobOk = z.infer<typeof SubscribeJobOkSchema>;

/** `subscribe-job` reply. */
// One type argument: zod 3.25's `zod/v4/mini` declares `ZodMiniDiscriminatedUnion<Options>`, zod 4.1+ adds the key's.
export const SubscribeJobAckSchema: z.ZodMiniDiscriminatedUnion<[typeof SubscribeJobOkSchema, typeof ErrorAckSchema]> = /* @__PURE__ */ (() =>
  z.discriminatedUnion('ok', [SubscribeJobOkSchema, ErrorAckSchema]))();

/** `subscribe-job` reply. */
export type SubscribeJobAck = z.infer<typeof SubscribeJobAckSchema>;
