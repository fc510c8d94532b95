import * as z from 'zod';
import { TimestampSchema } from './job-update';

/** A heartbeat timing in milliseconds, as advertised by the server. */
const HeartbeatTimingSchema = z.int().positive().max(2 ** 31 - 1);

/**
 * `heartbeat` payload: the server's clock when it was sent, and the server's heartbeat timing, from which a client
 * derives how long a silent server may stay silent (`intervalMs + timeoutMs`).
 */
export const HeartbeatSchema = z
  .object({
    ts: TimestampSchema,
    intervalMs: HeartbeatTimingSchema.optional().meta({ description: 'how often the server sends a heartbeat round' }),
    timeoutMs: HeartbeatTimingSchema.optional().meta({ description: 'how long the server waits for the answer before it drops the connection' }),
  })
  .meta({ title: 'Heartbeat', description: 'Liveness probe, with the server heartbeat timing' });

/** `heartbeat` payload. */
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** The client's answer to `heartbeat`: the same `ts`. */
export const HeartbeatAckSchema = z.strictObject({ ts: TimestampSchema }).meta({ title: 'HeartbeatAck' });

/** The client's answer to `heartbeat`. */
export type HeartbeatAck = z.infer<typeof HeartbeatAckSchema>;
