import { JobServerOptionsError } from '../errors';
import type { JobServerMaintenance } from '../job-server-api';
import type { JobStatusCounts } from '../jobs/job-store';
import type { ResolvedJobServerOptions } from '../options';
import { compactSize } from './compact-set';
import type { ConnectionLifecycle } from './connection-lifecycle';
import type { ConnectionRecord, ConnectionRegistry } from './connection-registry';
import type { LoadShedding } from './load-shedding';
import type { TokenBucketLimiter } from './rate-limit';
import type { ServerPhase } from './server-phase';
import type { SweepResult } from './sweeper';

/** What the sweep's operations need from the server. */
export interface MaintenanceDeps {
  phase: ServerPhase;
  now: () => number;
  registry: ConnectionRegistry;
  connections: ConnectionLifecycle;
  limiter: TokenBucketLimiter;
  session: ResolvedJobServerOptions['session'];
  /** Drops expired jobs (see `JobExpiry`); resolves how many. */
  purgeStaleJobs: () => Promise<number>;
  /** Jobs per status, or `null` when the store cannot count them. */
  jobsByStatus: () => JobStatusCounts | null;
  /** The largest pending outbound bytes of any connection. */
  pendingOutboundBytes: () => number;
  shedding: LoadShedding;
}

/**
 * The notice a connection last active at `lastActivityAt` (see `ConnectionRegistry.lastActivityOf`) is due at `at`, or
 * `undefined` while it is active enough.
 */
export function inactivityReason(record: ConnectionRecord, lastActivityAt: number, at: number, session: MaintenanceDeps['session']): 'session-expired' | 'idle' | undefined {
  const inactiveMs = at - lastActivityAt;
  if (inactiveMs >= session.maxInactivityMs) return 'session-expired';
  if (compactSize(record.subscriptions) === 0 && inactiveMs >= session.idleTimeoutMs) return 'idle';
  return undefined;
}

/** A shedding reason as given to the shedding methods: a non-empty string (it names a health reason, `overloaded:<reason>`). */
function sheddingReason(reason: unknown): string {
  if (typeof reason === 'string' && reason !== '') return reason;
  throw new JobServerOptionsError('reason', `must be a non-empty string, got ${reason === '' ? 'an empty string' : reason === null ? 'null' : typeof reason}`);
}

/**
 * Owns the sweep's orchestration: inactive connections, expired jobs and refilled rate limits, nothing once closing.
 * Its operations are bound, so `const { sweep } = server.maintenance` works.
 */
export class Maintenance implements JobServerMaintenance {
  readonly #deps: MaintenanceDeps;

  constructor(deps: MaintenanceDeps) {
    this.#deps = deps;
  }

  readonly disconnectInactive = async (): Promise<number> => {
    const { phase, connections } = this.#deps;
    if (!phase.running) return 0;
    const pending: Promise<void>[] = [];
    for (const [record, reason] of this.#inactive()) pending.push(connections.notify(record, reason, { reconnect: reason === 'session-expired' }));
    await Promise.all(pending);
    return pending.length;
  };

  readonly purgeStaleJobs = (): Promise<number> => {
    return this.#deps.purgeStaleJobs();
  };

  readonly purgeRateLimits = (): number => {
    return this.#deps.limiter.purgeExpired(this.#deps.registry.values(), this.#deps.now());
  };

  readonly sweep = async (): Promise<SweepResult> => {
    if (!this.#deps.phase.running) return { disconnected: 0, purgedJobs: 0, purgedRateLimits: 0 };
    const purgedRateLimits = this.purgeRateLimits();
    const [purgedJobs, disconnected] = await Promise.all([this.purgeStaleJobs(), this.disconnectInactive()]);
    return { disconnected, purgedJobs, purgedRateLimits };
  };

  readonly inactiveConnections = (): number => {
    let inactive = 0;
    for (const _ of this.#inactive()) inactive += 1;
    return inactive;
  };

  /**
   * The connections `disconnectInactive` drops now, with the notice each gets: not one already told to leave (it is
   * in its grace period).
   */
  *#inactive(): Generator<[ConnectionRecord, 'session-expired' | 'idle']> {
    const { now, registry, connections, session } = this.#deps;
    const at = now();
    for (const record of registry.values()) {
      if (connections.notices.has(record.id)) continue;
      const reason = inactivityReason(record, registry.lastActivityOf(record), at, session);
      if (reason) yield [record, reason];
    }
  }

  readonly startShedding = (reason: string): void => {
    this.#deps.shedding.start(sheddingReason(reason));
  };

  readonly stopShedding = (reason: string): void => {
    this.#deps.shedding.stop(sheddingReason(reason));
  };

  readonly holdShedding = (reason: string): (() => void) => {
    return this.#deps.shedding.hold(sheddingReason(reason));
  };

  readonly sheddingReasons = (): string[] => {
    return this.#deps.shedding.reasons();
  };

  readonly jobsByStatus = (): JobStatusCounts | null => {
    return this.#deps.jobsByStatus();
  };

  readonly pendingOutboundBytes = (): number => {
    return this.#deps.pendingOutboundBytes();
  };
}
