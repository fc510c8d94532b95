// The `@org/ws-protocol/status` entry: job statuses and `isTerminal`, without zod, for code that only reads statuses.

/** Every status a job can be in, in lifecycle order. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/** Job status; `completed`, `failed` and `cancelled` are terminal. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses after which a job receives no further update. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = /* @__PURE__ */ new Set<JobStatus>(['completed', 'failed', 'cancelled']);

/** A status after which no update follows. */
export type TerminalJobStatus = Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;

/** Whether `status` ends a job (no update follows it). */
export function isTerminal(status: JobStatus): status is TerminalJobStatus {
  return TERMINAL_STATUSES.has(status);
}
