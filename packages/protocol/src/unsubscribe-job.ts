import * as z from 'zod/v4/mini';
import { ErrorAckSchema, OkAckSchema } from './acks';
import { JobIdSchema } from './job-id';
import { schemaDocs } from './schema-docs';

/** `unsubscribe-job` payload. */
export const UnsubscribeJobRequestSchema = /* @__PURE__ */ (() =>
  z.strictObject({ jobId: JobIdSchema }).register(schemaDocs, { title: 'UnsubscribeJobRequest', description: 'Stop watching a job' }))();

/** `unsubscribe-job` payload. */
export type UnsubscribeJobRequest = z.infer<typeof UnsubscribeJobRequestSchema>;

/** `unsubscribe-job` reply. */
// One type argument: zod 3.25's `zod/v4/mini` declares `ZodMiniDiscriminatedUnion<Options>`, zod 4.1+ adds the key's.
export const UnsubscribeJobAckSchema: z.ZodMiniDiscriminatedUnion<[typeof OkAckSchema, typeof ErrorAckSchema]> = /* @__PURE__ */ (() =>
  z.discriminatedUnion('ok', [OkAckSchema, ErrorAckSchema]))();

/** `unsubscribe-job` reply. */
export type UnsubscribeJobAck = z.infer<typeof UnsubscribeJobAckSchema>;
