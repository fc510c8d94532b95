import * as z from 'zod/v4/mini';
import { intSchema } from './int-schema';
import { schemaDocs } from './schema-docs';

/** Every error code the protocol carries. */
export const ErrorCode = {
  /** A payload failed its schema. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** Too many events from this connection; retry after `retryAfterMs`. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The job does not exist or the caller may not see it (the two are indistinguishable). */
  FORBIDDEN: 'FORBIDDEN',
  /** The handshake did not authenticate. */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The per-IP connection cap is reached. */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** The client speaks another protocol version. */
  UNSUPPORTED_PROTOCOL: 'UNSUPPORTED_PROTOCOL',
  /** The server is shutting down; reconnect later. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** An `unsubscribe-job` for the same job, sent after this `subscribe-job`, arrived while it was pending: not subscribed. */
  UNSUBSCRIBED: 'UNSUBSCRIBED',
  /** This connection watches as many jobs as the server allows; unsubscribe from one before watching another. */
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** The server is short of memory and sheds load (new connections, new subscriptions); retry after `retryAfterMs`. */
  OVERLOADED: 'OVERLOADED',
  /** A backing service (e.g. Redis) is unreachable; retry later. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** Anything else; details stay in the server log. */
  INTERNAL: 'INTERNAL',
} as const;

/** Union of every error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Error code schema. */
export const ErrorCodeSchema = /* @__PURE__ */ (() => z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]))();

/** Longest human-readable message an error carries. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

/** The one error shape on the wire: a code, a readable message, and when to retry. */
export const ProtocolErrorSchema = /* @__PURE__ */ (() =>
  z
    .object({
      code: ErrorCodeSchema,
      message: z.string().check(z.maxLength(MAX_ERROR_MESSAGE_LENGTH)),
      retryAfterMs: z.optional(intSchema().check(z.nonnegative())).register(schemaDocs, {
        description: 'how long to wait before trying again; always sent with RATE_LIMITED, OVERLOADED, UNAVAILABLE and a SHUTTING_DOWN handshake refusal',
      }),
    })
    .register(schemaDocs, { title: 'ProtocolError', description: 'A typed error: code, readable message, optional retry delay' }))();

/** A typed error as sent on the wire. */
export type ProtocolError = { code: ErrorCode; message: string; retryAfterMs?: number | undefined };

/** Builds a wire error, trimming the message to its bound. */
export function protocolError(code: ErrorCode, message: string, retryAfterMs?: number): ProtocolError {
  // Cutting between the halves of a surrogate pair would leave a broken character before the ellipsis.
  const cut = message.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1).replace(/[\uD800-\uDBFF]$/, '');
  const trimmed = message.length > MAX_ERROR_MESSAGE_LENGTH ? `${cut}…` : message;
  return retryAfterMs === undefined ? { code, message: trimmed } : { code, message: trimmed, retryAfterMs };
}

/** A protocol error raised as an exception, carrying the wire error's code. */
export class JobProtocolError extends Error {
  override name = 'JobProtocolError';
  /** The error code. */
  readonly code: ErrorCode;
  /** When to retry, if the error says. */
  readonly retryAfterMs: number | undefined;

  constructor(error: ProtocolError, options?: { cause?: unknown }) {
    super(error.message, options);
    this.code = error.code;
    this.retryAfterMs = error.retryAfterMs;
  }

  /** The wire shape of this error. */
  toJSON(): ProtocolError {
    return protocolError(this.code, this.message, this.retryAfterMs);
  }
}
