import { findJobDataProblem } from './job-data';
import type { JobUpdateInput } from './job-update';
import { JOB_STATUSES } from './status';
import { wireCustom, wireNumber, wireObject, wireOneOf, wireOptional, type WireCheck } from './wire-check';

/**
 * `JobUpdateInputSchema` without zod, for the hot path of a server's `update()` (and a job publisher's): tested to
 * accept and refuse exactly what the schema does, at the same path.
 */
export const JobUpdateInputCheck: WireCheck<JobUpdateInput> = /* @__PURE__ */ (() =>
  wireObject(
    {
      status: wireOneOf(JOB_STATUSES),
      progress: wireOptional(wireNumber(false, ['>=', 0], ['<=', 100])),
      data: wireOptional(wireCustom(findJobDataProblem)),
    },
    true,
  ))();
