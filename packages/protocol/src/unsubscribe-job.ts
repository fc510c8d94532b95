import * as z from 'zod';
import { ErrorAckSchema, OkAckSchema } from './acks';
import { JobIdSchema } from './job-id';

/** `unsubscribe-job` payload. */
export const UnsubscribeJobRequestSchema = z
  .strictObject({ jobId: JobIdSchema })
  .meta({ title: 'UnsubscribeJobRequest', description: 'Stop watching a job' });

/** `unsubscribe-job` payload. */
export type UnsubscribeJobRequest = z.infer<typeof UnsubscribeJobRequestSchema>;

/** `unsubscribe-job` reply. */
export const UnsubscribeJobAckSchema = z.discriminatedUnion('ok', [OkAckSchema, ErrorAckSchema]);

/** `unsubscribe-job` reply. */
export type UnsubscribeJobAck = z.infer<typeof UnsubscribeJobAckSchema>;
