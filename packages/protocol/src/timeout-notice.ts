import * as z from 'zod/v4/mini';
import { intSchema } from './int-schema';
import { schemaDocs } from './schema-docs';

/** Why a server is about to end a connection. */
export const NOTICE_REASONS = ['idle', 'session-expired', 'shutdown', 'rate-limited'] as const;

/** Notice reason schema. */
export const NoticeReasonSchema = /* @__PURE__ */ (() => z.enum(NOTICE_REASONS))();

/** Why a server is about to end a connection. */
export type NoticeReason = z.infer<typeof NoticeReasonSchema>;

/** `server-timeout-notice` payload: why, how long until the disconnect, and whether to come back. */
export const TimeoutNoticeSchema = /* @__PURE__ */ (() =>
  z
    .object({
      reason: NoticeReasonSchema,
      /** Milliseconds until the server disconnects. */
      graceMs: intSchema().check(z.nonnegative()),
      /** Whether the client should reconnect on its own. */
      reconnect: z.boolean(),
      /** How long to wait before reconnecting. */
      retryAfterMs: z.optional(intSchema().check(z.nonnegative())),
    })
    .register(schemaDocs, { title: 'TimeoutNotice', description: 'The server is about to end this connection' }))();

/** `server-timeout-notice` payload. */
export type TimeoutNotice = z.infer<typeof TimeoutNoticeSchema>;

/** The client's acknowledgement of a notice: the reason it understood. */
export const TimeoutNoticeAckSchema = /* @__PURE__ */ (() =>
  z.strictObject({ reason: NoticeReasonSchema }).register(schemaDocs, { title: 'TimeoutNoticeAck' }))();

/** The client's acknowledgement of a notice. */
export type TimeoutNoticeAck = z.infer<typeof TimeoutNoticeAckSchema>;
