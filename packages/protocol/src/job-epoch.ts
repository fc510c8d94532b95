import * as z from 'zod';

/** Longest epoch accepted, in characters. */
export const MAX_EPOCH_LENGTH = 64;

/**
 * Which history of a job an update belongs to: an opaque string the server's store picks when the history starts (the
 * job's first update, a job id used again after its history was dropped, a store that lost its data). `seq` counts
 * within one epoch; a different epoch is a different history, never the continuation of the one a client holds.
 */
export const JobEpochSchema = z
  .string()
  .min(1, 'epoch must not be empty')
  .max(MAX_EPOCH_LENGTH, `epoch must be at most ${MAX_EPOCH_LENGTH} characters`)
  .meta({ description: 'Opaque id of one history of a job; seq counts within it' });

/** Which history of a job an update belongs to. */
export type JobEpoch = z.infer<typeof JobEpochSchema>;
