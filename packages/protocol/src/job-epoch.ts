import * as z from 'zod/v4/mini';
import { schemaDocs } from './schema-docs';

/** Longest epoch accepted, in characters. */
export const MAX_EPOCH_LENGTH = 64;

/** Why an epoch is refused, by the rule it breaks. */
export const EPOCH_PROBLEMS = {
  empty: 'epoch must not be empty',
  long: `epoch must be at most ${MAX_EPOCH_LENGTH} characters`,
} as const;

/**
 * Which history of a job an update belongs to: an opaque string the server's store picks when the history starts (the
 * job's first update, a job id used again after its history was dropped, a store that lost its data). `seq` counts
 * within one epoch; a different epoch is a different history, never the continuation of the one a client holds.
 */
export const JobEpochSchema = /* @__PURE__ */ (() =>
  z
    .string()
    .check(z.minLength(1, EPOCH_PROBLEMS.empty), z.maxLength(MAX_EPOCH_LENGTH, EPOCH_PROBLEMS.long))
    .register(schemaDocs, { description: 'Opaque id of one history of a job; seq counts within it' }))();

/** Which history of a job an update belongs to. */
export type JobEpoch = z.infer<typeof JobEpochSchema>;
