import { JobEpochCheck, parseWire } from '@org/ws-protocol';
import { JobClientError } from './errors';

/** A point in a job's history: its epoch and the `seq` of the last update seen there (a `JobUpdate` is one). */
export interface JobResumePoint {
  /** The history (epoch) the update belongs to. */
  readonly epoch: string;
  /** The `seq` of that update. */
  readonly seq: number;
}

/** The `resumeFrom` option checked: `undefined` when absent; throws `INVALID_OPTIONS` when it is not an epoch and a whole `seq` >= 1. */
export function resumePointOf(resumeFrom: unknown): JobResumePoint | undefined {
  if (resumeFrom === undefined) return undefined;
  const point = resumeFrom as Partial<JobResumePoint> | null;
  const valid = typeof point === 'object' && point !== null && parseWire(JobEpochCheck, point.epoch).ok && Number.isSafeInteger(point.seq) && (point.seq as number) >= 1;
  if (!valid) throw new JobClientError('INVALID_OPTIONS', 'options.resumeFrom must be { epoch, seq } of an update of the job (seq a whole number >= 1)');
  return { epoch: point.epoch as string, seq: point.seq as number };
}
