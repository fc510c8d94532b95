import * as z from 'zod/v4/mini';
import type * as core from 'zod/v4/core';
import { ErrorCode, protocolError, type ProtocolError } from './error-codes';
import { describeIssue } from './issue-message';

/** Outcome of parsing an untrusted payload. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

/** Where an issue is and what it says: a zod issue, or one of the wire checks. */
export type LocatedIssue = { readonly path: readonly PropertyKey[]; readonly message: string };

// zod echoes offending keys verbatim; control characters would let a peer forge log lines.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Turns validation issues into one short readable sentence (the first issue with its path), within the wire message bound. */
export function describeIssues(issues: readonly LocatedIssue[], subject = 'payload'): string {
  const [first] = issues;
  if (!first) return `${subject} is invalid`;
  const path = first.path.map(String).join('.');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const sentence = `${subject}${path ? `.${path}` : ''}: ${first.message}${more}`.replace(CONTROL_CHARACTERS, ' ');
  return protocolError(ErrorCode.INVALID_PAYLOAD, sentence).message;
}

/** Turns a zod failure into one short readable sentence (the first issue with its path), within the wire message bound. */
export function describeZodError(error: core.$ZodError, subject = 'payload'): string {
  return describeIssues(error.issues, subject);
}

/** Turns a zod failure into an `INVALID_PAYLOAD` protocol error. */
export function invalidPayload(error: core.$ZodError, subject?: string): ProtocolError {
  return protocolError(ErrorCode.INVALID_PAYLOAD, describeZodError(error, subject));
}

/**
 * `safeParse` with English issue messages (see `describeIssue`); accepts schemas of zod's mini and classic APIs, from
 * zod 3.25+ (`zod/v4`) and zod 4.
 */
export function safeParseWithMessages<S extends core.$ZodType>(schema: S, input: unknown): core.util.SafeParseResult<core.output<S>> {
  return z.safeParse(schema, input, { error: (issue) => describeIssue(issue) });
}

/**
 * Parses an untrusted value; never throws.
 * @example
 * const result = parsePayload(SubscribeJobRequestSchema, raw, 'subscribe-job');
 * if (!result.ok) return ack({ ok: false, error: result.error });
 */
export function parsePayload<S extends core.$ZodType>(schema: S, input: unknown, subject = 'payload'): ParseResult<core.output<S>> {
  try {
    const result = safeParseWithMessages(schema, input);
    return result.success ? { ok: true, value: result.data } : { ok: false, error: invalidPayload(result.error, subject) };
  } catch {
    // Only a hostile object (throwing getter or proxy) gets here; wire payloads are plain JSON.
    return { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, `${subject} could not be read`) };
  }
}
