import type { z } from 'zod';
import { ErrorCode, protocolError, type ProtocolError } from './error-codes';

/** Outcome of parsing an untrusted payload. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

// zod echoes offending keys verbatim; control characters would let a peer forge log lines.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Turns a zod failure into one short readable sentence (the first issue with its path), within the wire message bound. */
export function describeZodError(error: z.core.$ZodError, subject = 'payload'): string {
  const [first] = error.issues;
  if (!first) return `${subject} is invalid`;
  const path = first.path.map(String).join('.');
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? 's' : ''})` : '';
  const sentence = `${subject}${path ? `.${path}` : ''}: ${first.message}${more}`.replace(CONTROL_CHARACTERS, ' ');
  return protocolError(ErrorCode.INVALID_PAYLOAD, sentence).message;
}

/** Turns a zod failure into an `INVALID_PAYLOAD` protocol error. */
export function invalidPayload(error: z.core.$ZodError, subject?: string): ProtocolError {
  return protocolError(ErrorCode.INVALID_PAYLOAD, describeZodError(error, subject));
}

/**
 * Parses an untrusted value; never throws.
 * @example
 * const result = parsePayload(SubscribeJobRequestSchema, raw, 'subscribe-job');
 * if (!result.ok) return ack({ ok: false, error: result.error });
 */
export function parsePayload<S extends z.ZodType>(schema: S, input: unknown, subject = 'payload'): ParseResult<z.output<S>> {
  try {
    const result = schema.safeParse(input);
    return result.success ? { ok: true, value: result.data } : { ok: false, error: invalidPayload(result.error, subject) };
  } catch {
    // Only a hostile object (throwing getter or proxy) gets here; wire payloads are plain JSON.
    return { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, `${subject} could not be read`) };
  }
}

