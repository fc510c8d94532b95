import * as z from 'zod/v4/mini';
import { ProtocolErrorSchema } from './error-codes';
import { schemaDocs } from './schema-docs';

/** The reply to a request that failed. */
export const ErrorAckSchema = /* @__PURE__ */ (() =>
  z.object({ ok: z.literal(false), error: ProtocolErrorSchema }).register(schemaDocs, { title: 'ErrorAck' }))();

/** The reply to a request that failed. */
export type ErrorAck = z.infer<typeof ErrorAckSchema>;

/** The reply to a request that succeeded with nothing to return. */
export const OkAckSchema = /* @__PURE__ */ (() => z.object({ ok: z.literal(true) }).register(schemaDocs, { title: 'OkAck' }))();

/** The reply to a request that succeeded with nothing to return. */
export type OkAck = z.infer<typeof OkAckSchema>;
