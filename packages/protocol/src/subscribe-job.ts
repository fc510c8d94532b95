import * as z from 'zod';
import { ErrorAckSchema } from './acks';
import { JobEpochSchema } from './job-epoch';
import { JobIdSchema } from './job-id';
import { JobUpdateSchema, SeqSchema } from './job-update';

/** Most updates a server replays in one `subscribe-job` reply. */
export const MAX_REPLAY_UPDATES = 1000;

/** `subscribe-job` payload: the job, and the `epoch` and last `seq` this client already has (for recovery). */
export const SubscribeJobRequestSchema = z
  .strictObject({ jobId: JobIdSchema, lastSeq: SeqSchema.optional(), epoch: JobEpochSchema.optional() })
  .meta({ title: 'SubscribeJobRequest', description: 'Start watching a job; lastSeq (with the epoch it counts in) asks for the updates after it' });

/** `subscribe-job` payload. */
export type SubscribeJobRequest = z.infer<typeof SubscribeJobRequestSchema>;

/** Successful `subscribe-job` reply. */
export const SubscribeJobOkSchema = z
  .object({
    ok: z.literal(true),
    jobId: JobIdSchema,
    /** The job's current epoch, or null when the server holds no history of it. */
    epoch: JobEpochSchema.nullable(),
    /** Latest update, or null before the job's first update. */
    snapshot: JobUpdateSchema.nullable(),
    /** Updates after `lastSeq`, oldest first (empty without `lastSeq` or on resync). */
    updates: z.array(JobUpdateSchema).max(MAX_REPLAY_UPDATES),
    /** True when the updates after `lastSeq` are gone or belong to another epoch: take the snapshot and drop what is older. */
    resync: z.boolean(),
  })
  .meta({ title: 'SubscribeJobOk' });

/** Successful `subscribe-job` reply. */
export type SubscribeJobOk = z.infer<typeof SubscribeJobOkSchema>;

/** `subscribe-job` reply. */
export const SubscribeJobAckSchema = z.discriminatedUnion('ok', [SubscribeJobOkSchema, ErrorAckSchema]);

/** `subscribe-job` reply. */
export type SubscribeJobAck = z.infer<typeof SubscribeJobAckSchema>;
