import * as z from 'zod';
import { TimestampSchema } from './job-update';

/** `heartbeat` payload: the server's clock when it was sent. */
export const HeartbeatSchema = z.object({ ts: TimestampSchema }).meta({ title: 'Heartbeat', description: 'Liveness probe' });

/** `heartbeat` payload. */
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** The client's answer to `heartbeat`: the same `ts`. */
export const HeartbeatAckSchema = z.strictObject({ ts: TimestampSchema }).meta({ title: 'HeartbeatAck' });

/** The client's answer to `heartbeat`. */
export type HeartbeatAck = z.infer<typeof HeartbeatAckSchema>;
