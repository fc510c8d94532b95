import * as z from 'zod/v4/mini';

// The published declarations name the type of every exported schema, and a consumer compiles them against its own
// zod, of either major: zod 4.1+ types `z.int()` as `ZodMiniInt` and writes `ZodMiniNumberFormat` with a type
// argument, while zod 3.25's `zod/v4/mini` (zod 4.0) has neither. An interface keeps the declarations at the one
// spelling both majors accept.

/** A safe-integer schema (zod's `z.int()`), declared in a form that compiles against zod 3.25 and zod 4. */
export interface IntSchema extends z.ZodMiniNumberFormat {}

/** A safe integer (zod's `z.int()`). */
export const intSchema = (): IntSchema => z.int();
