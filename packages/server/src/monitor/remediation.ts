import type { AlertName } from './alert-rules';
import type { JobServerMaintenance } from '../job-server-api';

/** Every remediation action, in the order they run: cheap purges first, GC last so it collects what they freed. */
export const REMEDIATION_ACTIONS = ['purgeRateLimits', 'purgeStaleJobs', 'disconnectInactive', 'runGc'] as const;

/** A remediation action; each can be switched off in the monitor's `remediation` option. */
export type RemediationAction = (typeof REMEDIATION_ACTIONS)[number];

/** What an action frees. */
export type RemediationUnit = 'records' | 'jobs' | 'connections' | 'bytes';

/** Which actions each alert calls for. */
export const REMEDIATION_FOR_ALERT: Readonly<Record<AlertName, readonly RemediationAction[]>> = {
  // Too many sockets: drop the ones nobody uses, and the rate-limit buckets of the ones that calmed down.
  connections: ['purgeRateLimits', 'disconnectInactive'],
  // Heap growth: free everything the sweep would free, then let V8 take the memory back.
  heap: ['purgeRateLimits', 'purgeStaleJobs', 'disconnectInactive', 'runGc'],
  // Many sockets that do nothing: they are exactly what `disconnectInactive` drops (with the `idle` notice).
  'inactive-ratio': ['disconnectInactive'],
  // Many jobs still "processing": the stale ones are jobs whose producer went away.
  'processing-jobs': ['purgeStaleJobs'],
};

/** What one remediation action freed. */
export interface RemediationResult {
  /** The action. */
  action: RemediationAction;
  /** How much it freed, in `unit`. */
  freed: number;
  /** `records` (rate-limit buckets), `jobs`, `connections`, or heap `bytes` (for `runGc`). */
  unit: RemediationUnit;
  /** The alerts in force that called for it. */
  alerts: AlertName[];
}

/** What the actions work on. */
export interface RemediationTarget {
  /** The server's sweep operations. */
  maintenance: Pick<JobServerMaintenance, 'purgeRateLimits' | 'purgeStaleJobs' | 'disconnectInactive'>;
  /** A full garbage collection, when the process exposes one. */
  gc: (() => void) | undefined;
  /** Heap in use now, in bytes. */
  heapUsedBytes: () => number;
}

/** The enabled actions the alerts call for, in run order; `runGc` only when a GC function exists. */
export function remediationPlan(alerts: readonly AlertName[], enabled: Readonly<Record<RemediationAction, boolean>>, gcAvailable: boolean): RemediationAction[] {
  const wanted = new Set(alerts.flatMap((alert) => REMEDIATION_FOR_ALERT[alert]));
  return REMEDIATION_ACTIONS.filter((action) => wanted.has(action) && enabled[action] && (action !== 'runGc' || gcAvailable));
}

/** Runs one action and measures what it freed. */
export async function runRemediation(action: RemediationAction, target: RemediationTarget): Promise<{ freed: number; unit: RemediationUnit }> {
  switch (action) {
    case 'purgeRateLimits':
      return { freed: target.maintenance.purgeRateLimits(), unit: 'records' };
    case 'purgeStaleJobs':
      return { freed: await target.maintenance.purgeStaleJobs(), unit: 'jobs' };
    case 'disconnectInactive':
      return { freed: await target.maintenance.disconnectInactive(), unit: 'connections' };
    case 'runGc': {
      const before = target.heapUsedBytes();
      target.gc?.();
      return { freed: Math.max(0, before - target.heapUsedBytes()), unit: 'bytes' };
    }
  }
}
