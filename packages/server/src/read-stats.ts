import type { ConnectionCounter } from './lifecycle/connection-counter';
import type { ConnectionLifecycle } from './lifecycle/connection-lifecycle';
import type { ConnectionRegistry } from './lifecycle/connection-registry';
import type { TokenBucketLimiter } from './lifecycle/rate-limit';
import type { JobServerStats } from './stats';

/** The parts whose sizes `stats()` reports. */
export interface StatsSources {
  registry: ConnectionRegistry;
  ipLimit: ConnectionCounter;
  /** How many jobs the server holds. */
  jobs: () => number;
  limiter: TokenBucketLimiter;
  connections: ConnectionLifecycle;
  /** Each timer the server owns that may be pending: true while it is. */
  timers: () => boolean[];
}

/** Reads the size of every registry now. */
export function readStats({ registry, ipLimit, jobs, limiter, connections, timers }: StatsSources): JobServerStats {
  const { heartbeat, notices } = connections;
  return {
    connections: registry.size,
    connectionsByIp: ipLimit.size,
    pendingTransports: connections.transports.pendingCount,
    jobs: jobs(),
    subscriptions: registry.subscriptionCount,
    rateLimitRecords: limiter.size,
    watchedJobs: registry.watchedJobCount,
    pendingHeartbeats: heartbeat.pendingCount,
    pendingNotices: notices.size,
    pendingAcks: heartbeat.pendingCount + notices.size,
    timers: timers().filter(Boolean).length,
    pendingConflations: registry.conflatedCount,
  };
}
