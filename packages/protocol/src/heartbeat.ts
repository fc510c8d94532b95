import * as z from 'zod/v4/mini';
import { intSchema } from './int-schema';
import { TimestampSchema } from './job-update';
import { schemaDocs } from './schema-docs';

/** Longest heartbeat timing a server advertises, in milliseconds (the largest timer delay). */
export const MAX_HEARTBEAT_TIMING_MS = 2 ** 31 - 1;

/**
 * `heartbeat` payload: the server's clock when it was sent, and the server's heartbeat timing, from which a client
 * derives how long a silent server may stay silent (`intervalMs + timeoutMs`).
 */
export const HeartbeatSchema = /* @__PURE__ */ (() => {
  const timing = (description: string) =>
    z.optional(intSchema().check(z.positive(), z.maximum(MAX_HEARTBEAT_TIMING_MS))).register(schemaDocs, { description });
  return z
    .object({
      ts: TimestampSchema,
      intervalMs: timing('how often the server sends a heartbeat round'),
      timeoutMs: timing('how long the server waits for the answer before it drops the connection'),
    })
    .register(schemaDocs, { title: 'Heartbeat', description: 'Liveness probe, with the server heartbeat timing' });
})();

/** `heartbeat` payload. */
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** The client's answer to `heartbeat`: the same `ts`. */
export const HeartbeatAckSchema = /* @__PURE__ */ (() => z.strictObject({ ts: TimestampSchema }).register(schemaDocs, { title: 'HeartbeatAck' }))();

/** The client's answer to `heartbeat`. */
export type HeartbeatAck = z.infer<typeof HeartbeatAckSchema>;
