import { JOB_STATUSES, isTerminal } from '@org/ws-protocol';
import { evaluateAlerts, type AlertName } from './alert-rules';
import { AlertTracker, type Alert, type ClearedAlert } from './alert-tracker';
import type { JobStatusCounts } from '../jobs/job-store';
import { safeLogger } from '../logger';
import { resolveMemoryMonitorOptions, type MemoryMonitorOptions } from './memory-monitor-options';
import { remediationPlan, runRemediation, type RemediationResult } from './remediation';
import { SampleHistory } from './sample-history';
import type { JobServerStats } from '../stats';
import { TypedEvents, type TypedListener } from '../typed-events';

/** One sample of the server and the process. */
export interface MonitorSample {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** Live connections. */
  readonly connections: number;
  /** V8 heap in use, in bytes. */
  readonly heapUsedBytes: number;
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
  /** The heap baseline the `heap` alert compares with, in bytes. */
  readonly heapBaselineBytes: number;
  /** Connections the server would drop as inactive now (`maintenance.inactiveConnections()`). */
  readonly inactiveConnections: number;
  /** `inactiveConnections / connections`, 0 without connections. */
  readonly inactiveRatio: number;
  /** Jobs not in a terminal status (every job when the store cannot count by status). */
  readonly processingJobs: number;
  /** Jobs per status, or `null` when the store cannot count them. */
  readonly jobsByStatus: Readonly<JobStatusCounts> | null;
  /** (connection, job) subscriptions. */
  readonly subscriptions: number;
  /** Every registry size from `server.stats()`. */
  readonly registries: Readonly<JobServerStats>;
  /** Alerts in force after this sample. */
  readonly alerts: readonly AlertName[];
}

/** Events of a memory monitor and their payloads. */
export interface MemoryMonitorEventMap {
  /** A sample was taken. */
  sample: MonitorSample;
  /** An alert started holding (once per episode, not at every sample). */
  alert: Alert;
  /** An alert stopped holding. */
  'alert-cleared': ClearedAlert;
  /** A remediation action ran. */
  remediated: RemediationResult;
}

/** Name of a memory monitor event. */
export type MemoryMonitorEventName = keyof MemoryMonitorEventMap;

/** A running memory monitor. */
export interface MemoryMonitor {
  /** Takes a sample now (the timer also takes one every `intervalMs`), raises or clears alerts, and starts remediation while any holds. */
  sample(): MonitorSample;
  /** The kept samples, oldest first (at most `historySize`). */
  history(): readonly MonitorSample[];
  /** Alerts in force. */
  activeAlerts(): Alert[];
  /** Runs the enabled remediation actions that the alerts in force call for (joins a run in progress); resolves what they freed. */
  remediate(): Promise<RemediationResult[]>;
  /** Observes an event; returns the function that stops observing. */
  on<E extends MemoryMonitorEventName>(event: E, listener: TypedListener<MemoryMonitorEventMap, E>): () => void;
  /** Stops the timer, detaches from the server's health, ends its own hold of `heap-alert` shedding and drops every listener; idempotent. */
  close(): void;
  /** Whether `close()` ran (also true once the monitor saw its server shutting down). */
  readonly closed: boolean;
  /** `using monitor = createMemoryMonitor(…)` closes it at the end of the scope. */
  [Symbol.dispose](): void;
}

/** The server's shedding reason while the monitor's `heap` alert holds. */
const HEAP_ALERT_SHEDDING = 'heap-alert';

const NON_TERMINAL_STATUSES = JOB_STATUSES.filter((status) => !isTerminal(status));

const globalGc = (): (() => void) | undefined => {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : undefined;
};

/**
 * Watches a job server (SPEC §2 memory monitor): samples it on one timer, keeps a bounded history,
 * raises alerts with the numbers, reports them in `server.health()`, and remediates while they hold.
 * Closes itself at the first tick after the server began shutting down.
 * @throws MemoryMonitorOptionsError when an option is invalid.
 * @example
 * const monitor = createMemoryMonitor({ server, logger });
 * monitor.on('alert', (alert) => page(alert.name, alert.value, alert.threshold));
 */
export function createMemoryMonitor(options: MemoryMonitorOptions): MemoryMonitor {
  const opts = resolveMemoryMonitorOptions(options);
  const { server, now, memoryUsage } = opts;
  const logger = safeLogger(opts.logger);
  const history = new SampleHistory<MonitorSample>(opts.historySize);
  const tracker = new AlertTracker();
  const events = new TypedEvents<MemoryMonitorEventMap>((error, event) =>
    logger.error({ err: error, event }, `memory monitor: a listener of ${String(event)} failed`),
  );
  let heapBaselineBytes = opts.alerts.heapBaselineBytes;
  let remediating: Promise<RemediationResult[]> | undefined;
  let closed = false;
  /** Releases this monitor's own hold of the server's `heap-alert` shedding, while its `heap` alert holds. */
  let sheddingHold: (() => void) | undefined;
  const releaseSheddingHold = (): void => {
    sheddingHold?.();
    sheddingHold = undefined;
  };

  const removeHealthCheck = server.addHealthCheck(() => tracker.names().map((name) => `alert:${name}`));
  const serverClosing = (): boolean => server.health().status === 'shutting-down';

  const runPlan = async (): Promise<RemediationResult[]> => {
    const alerts = tracker.names();
    const gc = opts.gc ?? globalGc();
    const results: RemediationResult[] = [];
    for (const action of remediationPlan(alerts, opts.remediation, gc !== undefined)) {
      if (closed || serverClosing()) break;
      try {
        const { freed, unit } = await runRemediation(action, { maintenance: server.maintenance, gc, heapUsedBytes: () => memoryUsage().heapUsed });
        const result: RemediationResult = { action, freed, unit, alerts };
        results.push(result);
        logger.info({ action, freed, unit, alerts }, `memory monitor: ${action} freed ${freed} ${unit}`);
        events.emit('remediated', result);
      } catch (error) {
        logger.error({ err: error, action, alerts }, `memory monitor: ${action} failed`);
      }
    }
    return results;
  };

  const remediate = (): Promise<RemediationResult[]> => {
    remediating ??= runPlan().finally(() => {
      remediating = undefined;
    });
    return remediating;
  };

  const sample = (): MonitorSample => {
    const at = now();
    const registries = server.stats();
    const memory = memoryUsage();
    const inactiveConnections = server.maintenance.inactiveConnections();
    const jobsByStatus = server.maintenance.jobsByStatus();
    heapBaselineBytes ??= memory.heapUsed;
    const inputs = {
      connections: registries.connections,
      heapUsedBytes: memory.heapUsed,
      heapBaselineBytes,
      inactiveRatio: registries.connections === 0 ? 0 : inactiveConnections / registries.connections,
      processingJobs: jobsByStatus ? NON_TERMINAL_STATUSES.reduce((sum, status) => sum + jobsByStatus[status], 0) : registries.jobs,
    };
    const changes = tracker.update(evaluateAlerts(inputs, opts.alerts), at);
    const taken: MonitorSample = Object.freeze({
      at,
      ...inputs,
      rssBytes: memory.rss,
      inactiveConnections,
      // Copies: a store or server may hand out objects it keeps updating.
      jobsByStatus: jobsByStatus && Object.freeze({ ...jobsByStatus }),
      subscriptions: registries.subscriptions,
      registries: Object.freeze({ ...registries }),
      alerts: Object.freeze(tracker.names()),
    });
    history.push(taken);
    const figures = { connections: taken.connections, heapUsedBytes: taken.heapUsedBytes, heapBaselineBytes, rssBytes: taken.rssBytes, inactiveRatio: taken.inactiveRatio, processingJobs: taken.processingJobs };
    for (const alert of changes.raised) {
      // A closed monitor (closed by a listener of an earlier alert, or sampled by hand) would never release it.
      if (alert.name === 'heap' && opts.shedLoad && !closed) sheddingHold ??= server.maintenance.holdShedding(HEAP_ALERT_SHEDDING);
      logger.warn({ alert: alert.name, value: alert.value, threshold: alert.threshold, ...figures }, `memory monitor: alert ${alert.name}: ${alert.value} > ${alert.threshold}`);
      events.emit('alert', alert);
    }
    for (const cleared of changes.cleared) {
      if (cleared.name === 'heap') releaseSheddingHold();
      logger.info(
        { alert: cleared.name, value: cleared.value, threshold: cleared.threshold, heldMs: cleared.clearedAt - cleared.since, ...figures },
        `memory monitor: alert ${cleared.name} cleared: ${cleared.value} <= ${cleared.threshold}`,
      );
      events.emit('alert-cleared', cleared);
    }
    events.emit('sample', taken);
    if (taken.alerts.length > 0 && !closed && !serverClosing()) {
      remediate().catch((error: unknown) => logger.error({ err: error }, 'memory monitor: remediation failed'));
    }
    return taken;
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    removeHealthCheck();
    releaseSheddingHold();
    events.clear();
    logger.debug({}, 'memory monitor: closed');
  };

  const timer = setInterval(() => {
    // A store, a health check or `memoryUsage` that throws costs this round its sample, never the process.
    try {
      if (serverClosing()) {
        close();
        return;
      }
      sample();
    } catch (error) {
      logger.error({ err: error }, 'memory monitor: sampling failed');
    }
  }, opts.intervalMs);
  // The monitor must never be what keeps a process alive; close() still clears the timer.
  timer.unref();

  return {
    sample,
    history: () => history.toArray(),
    activeAlerts: () => tracker.active(),
    remediate,
    on: (event, listener) => events.on(event, listener),
    close,
    get closed() {
      return closed;
    },
    [Symbol.dispose]: close,
  };
}
