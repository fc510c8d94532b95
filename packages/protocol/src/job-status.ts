import * as z from 'zod';

/** Every status a job can be in, in lifecycle order. */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/** Job status; `completed`, `failed` and `cancelled` are terminal. */
export const JobStatusSchema = z.enum(JOB_STATUSES).meta({ description: 'Job status' });

/** Job status. */
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** The statuses after which a job receives no further update. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['completed', 'failed', 'cancelled']);

/** A status after which no update follows. */
export type TerminalJobStatus = Extract<JobStatus, 'completed' | 'failed' | 'cancelled'>;

/** Whether `status` ends a job (no update follows it). */
export function isTerminal(status: JobStatus): status is TerminalJobStatus {
  return TERMINAL_STATUSES.has(status);
}
