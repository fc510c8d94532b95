import type * as core from 'zod/v4/core';
import { parsePayload, type ParseResult } from './parse-payload';
import type { WireCheck } from './wire-check';

/**
 * `parsePayload` at the cost of a wire check: a value `check` accepts is handed back as it is, without running zod;
 * anything else goes to `schema`, which words the refusal exactly as `parsePayload` does. Never throws. `check` must be
 * the zod-free twin of `schema` (see `SubscribeJobRequestCheck`).
 * @example
 * const result = parseChecked(SubscribeJobRequestCheck, SubscribeJobRequestSchema, raw, 'subscribe-job');
 */
export function parseChecked<S extends core.$ZodType>(
  check: WireCheck<core.output<S>>,
  schema: S,
  input: unknown,
  subject = 'payload',
): ParseResult<core.output<S>> {
  try {
    if (check(input) === undefined) return { ok: true, value: input as core.output<S> };
  } catch {
    // A hostile object (throwing getter or proxy): parsePayload says it could not be read.
  }
  return parsePayload(schema, input, subject);
}
