import * as z from 'zod';
import { ProtocolErrorSchema } from './error-codes';

/** The reply to a request that failed. */
export const ErrorAckSchema = z.object({ ok: z.literal(false), error: ProtocolErrorSchema }).meta({ title: 'ErrorAck' });

/** The reply to a request that failed. */
export type ErrorAck = z.infer<typeof ErrorAckSchema>;

/** The reply to a request that succeeded with nothing to return. */
export const OkAckSchema = z.object({ ok: z.literal(true) }).meta({ title: 'OkAck' });

/** The reply to a request that succeeded with nothing to return. */
export type OkAck = z.infer<typeof OkAckSchema>;
