import type { JobServerLogger } from '../logger';

/** An update that fewer replicas acknowledged than `waitForReplicas.replicas` within its `timeoutMs`; it was published anyway. */
export interface ReplicaShortfall {
  /** The job. */
  jobId: string;
  /** The update's `seq`. */
  seq: number;
  /** Replicas that acknowledged the write in time. */
  acknowledged: number;
  /** Replicas asked for (`waitForReplicas.replicas`). */
  replicas: number;
}

/** Reports a shortfall as a warning: the update is on the master only, and lost if the master crashes before it replicates. */
export function warnOfReplicaShortfall(logger: Pick<Required<JobServerLogger>, 'warn'>): (shortfall: ReplicaShortfall) => void {
  return (shortfall) => {
    logger.warn({ ...shortfall }, 'fewer replicas than waitForReplicas.replicas acknowledged a job update in time; it was published anyway');
  };
}
