import fc from 'fast-check';
import { expect } from 'vitest';
import type * as core from 'zod/v4/core';
import { describeIssue } from '../../src/issue-message';
import { safeParseWithMessages } from '../../src/parse-payload';
import type { WireCheck } from '../../src/wire-check';

/**
 * Asserts over `numRuns` values that `check` accepts and refuses exactly what `schema` does, naming the same path and
 * problem as zod's first issue, and that more than `minRefused` of the values were refused (both outcomes exercised).
 */
export function expectCheckAgreesWithSchema(
  check: WireCheck<unknown>,
  schema: core.$ZodType,
  values: fc.Arbitrary<unknown>,
  { numRuns, minRefused }: { numRuns: number; minRefused: number },
): void {
  let refused = 0;
  fc.assert(
    fc.property(values, (value) => {
      const zod = safeParseWithMessages(schema, value);
      const found = check(value);
      expect(found === undefined).toBe(zod.success);
      if (found && !zod.success) {
        expect(found.path).toEqual(zod.error.issues[0]!.path);
        refused += 1;
        expect(describeIssue(found)).toBe(zod.error.issues[0]!.message);
      }
    }),
    { numRuns },
  );
  expect(refused).toBeGreaterThan(minRefused);
}
