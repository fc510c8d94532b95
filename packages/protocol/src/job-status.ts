import * as z from 'zod/v4/mini';
import { schemaDocs } from './schema-docs';
import { JOB_STATUSES } from './status';

export { JOB_STATUSES, TERMINAL_STATUSES, isTerminal } from './status';
export type { JobStatus, TerminalJobStatus } from './status';

/** Job status; `completed`, `failed` and `cancelled` are terminal. */
export const JobStatusSchema = /* @__PURE__ */ (() => z.enum(JOB_STATUSES).register(schemaDocs, { description: 'Job status' }))();
