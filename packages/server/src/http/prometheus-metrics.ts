import { ErrorCode, JOB_STATUSES, NOTICE_REASONS } from '@org/ws-protocol';
import { ALERT_NAMES } from '../monitor/alert-rules';
import type { AnyJobServer } from '../job-server-api';
import type { MemoryMonitor } from '../monitor/memory-monitor';
import type { MemoryReading } from '../monitor/memory-monitor-options';
import { requireOptional } from '../optional-dependency';
import type { JobServerCounters, JobServerStats } from '../stats';

// prom-client is an optional peer: these structural types describe the part of it this file uses, so that
// neither the code nor the published type declarations import it. The real module fits them.

/** Label values of one series. */
export type PromLabels = Record<string, string>;

/** What this package needs of any prom-client metric. */
export interface PromMetricLike {
  /** Drops every series. */
  reset(): void;
}

/** The part of a prom-client `Registry` this package uses. */
export interface PromRegistryLike {
  /** The registry's metrics in the text exposition format. */
  metrics(): Promise<string>;
  /** Content-Type of `metrics()`. */
  readonly contentType: string;
  /** Adds a metric. */
  registerMetric(metric: PromMetricLike): void;
  /** Forgets one metric. */
  removeSingleMetric(name: string): void;
}

/** Configuration of a prom-client metric, as far as this package sets it. */
export interface PromMetricConfig {
  /** Metric name. */
  name: string;
  /** Help text. */
  help: string;
  /** Label names. */
  labelNames?: readonly string[];
  /** Always empty: this package registers each metric with the chosen registry itself (none means the global one). */
  registers: [];
  /** Called at every scrape, before the values are read. */
  collect?: () => void;
}

/** The part of a prom-client `Gauge` this package uses. */
export interface PromGaugeLike extends PromMetricLike {
  /** Sets the value of a labelled series. */
  set(labels: PromLabels, value: number): void;
}

/** The part of a prom-client `Counter` this package uses. */
export interface PromCounterLike extends PromMetricLike {
  /** Adds to a labelled series. */
  inc(labels: PromLabels, value: number): void;
}

/** The part of the prom-client module this package uses: pass `import * as client from 'prom-client'`. */
export interface PromClientLike {
  /** prom-client's `Gauge` class. */
  Gauge: new (config: PromMetricConfig) => PromGaugeLike;
  /** prom-client's `Counter` class. */
  Counter: new (config: PromMetricConfig) => PromCounterLike;
  /** prom-client's default registry. */
  register: PromRegistryLike;
}

/** Options of `registerPrometheusMetrics`. */
export interface PrometheusMetricsOptions {
  /** The prom-client module (`import * as client from 'prom-client'`). @default the `prom-client` this package resolves, loaded on this call (throws `MissingDependencyError` when it is not installed) */
  client?: PromClientLike | undefined;
  /** The job server to report on. */
  server: AnyJobServer;
  /** Adds the heap baseline and the alerts in force. */
  monitor?: MemoryMonitor | undefined;
  /** Registry to register with. @default client.register */
  registry?: PromRegistryLike | undefined;
  /** Prefix of every metric name. @default 'orgws_' */
  prefix?: string | undefined;
  /** Memory reader for the heap and RSS gauges. @default process.memoryUsage */
  memoryUsage?: (() => MemoryReading) | undefined;
}

/** The metrics one `registerPrometheusMetrics` call registered. */
export interface PrometheusMetrics {
  /** Full names of the registered metrics. */
  readonly names: readonly string[];
  /** Removes them from the registry (e.g. before registering those of a new server). */
  unregister(): void;
}

/** Default prefix of every metric name. */
export const DEFAULT_METRIC_PREFIX = 'orgws_';

/** Gauge name (after the prefix) and help of every registry size in `stats()`. */
const REGISTRY_GAUGES: Readonly<Record<keyof JobServerStats, readonly [string, string]>> = {
  connections: ['connections', 'Live Socket.IO connections.'],
  connectionsByIp: ['connection_ips', 'Client IPs with at least one open transport (entries of the per-IP counter).'],
  pendingTransports: ['pending_transports', 'Open transports that carry no connection yet (waiting for the Socket.IO handshake, or being refused).'],
  jobs: ['jobs', 'Jobs the job store holds.'],
  subscriptions: ['subscriptions', '(connection, job) subscriptions.'],
  rateLimitRecords: ['rate_limit_records', 'Token buckets of the per-socket event rate limit.'],
  watchedJobs: ['watched_jobs', 'Jobs with at least one local subscriber.'],
  pendingHeartbeats: ['pending_heartbeats', 'Heartbeat probes awaiting an answer.'],
  pendingNotices: ['pending_notices', 'Timeout notices awaiting an acknowledgement.'],
  pendingAcks: ['pending_acks', 'Heartbeats and notices awaiting an acknowledgement.'],
  timers: ['timers', 'Timers the job server owns.'],
  pendingConflations: ['pending_conflations', 'Latest job states held back for connections that are behind.'],
};

type ScalarCounter = Exclude<keyof JobServerCounters, 'refusedConnections' | 'refusedConnectionsByCode' | 'noticesSent' | 'noticesSentByReason'>;

/** Counter name (after the prefix) and help of every plain total in `counters()`; the two per-reason totals have their own. */
const SCALAR_COUNTERS: Readonly<Record<ScalarCounter, readonly [string, string]>> = {
  invalidPayloads: ['invalid_payloads_total', 'Inbound payloads that failed their schema.'],
  unknownEvents: ['unknown_events_total', 'Inbound events with a name the protocol does not have.'],
  malformedPackets: ['malformed_packets_total', 'Connections dropped because a packet could not be decoded.'],
  missingAcks: ['missing_acks_total', 'Requests sent without an ack callback.'],
  rateLimited: ['rate_limited_events_total', 'Inbound events refused by the rate limit.'],
  heartbeatTimeouts: ['heartbeats_missed_total', 'Connections dropped because a heartbeat went unanswered.'],
  invalidHeartbeatAnswers: ['invalid_heartbeat_answers_total', 'Heartbeat answers that were not the probe\'s { ts }.'],
  internalErrors: ['internal_errors_total', 'Failures of hooks, listeners or the store that the server survived.'],
  conflatedUpdates: ['conflated_updates_total', 'Job updates replaced by a newer state before a lagging connection was sent them.'],
  slowConsumerDisconnects: ['slow_consumer_disconnects_total', 'Connections closed because their pending outbound bytes passed the cap.'],
  overloadedSubscriptions: ['overloaded_subscriptions_total', 'subscribe-job requests refused with OVERLOADED while the server shed load.'],
  tooManySubscriptions: ['too_many_subscriptions_total', 'subscribe-job requests refused with TOO_MANY_SUBSCRIPTIONS: the connection watched as many jobs as allowed.'],
};

/**
 * Registers the job server's metrics with a prom-client registry: a gauge per registry size, jobs by
 * status, heap and RSS, and counters mirroring `counters()`; with a monitor, its heap baseline and alerts.
 * Values are read at scrape time. prom-client is an optional peer dependency, loaded only by this call.
 * @throws MissingDependencyError when no `client` is given and prom-client is not installed.
 * @example
 * const registry = new Registry(); // from prom-client
 * registerPrometheusMetrics({ server, monitor, registry });
 */
export function registerPrometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  const { server, monitor } = options;
  const client = options.client ?? requireOptional<PromClientLike>('prom-client', 'registerPrometheusMetrics');
  const registry = options.registry ?? client.register;
  const prefix = options.prefix ?? DEFAULT_METRIC_PREFIX;
  const memoryUsage = options.memoryUsage ?? (() => process.memoryUsage());
  const names: string[] = [];
  const add = (name: string, metric: PromMetricLike): void => {
    registry.registerMetric(metric);
    names.push(name);
  };

  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (set: (labels: PromLabels, value: number) => void) => void): void => {
    const metric: PromGaugeLike = new client.Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers: [],
      collect: () => {
        metric.reset();
        fill((labels, value) => metric.set(labels, value));
      },
    });
    add(prefix + name, metric);
  };

  // A counter mirrors a monotonic total of the server: at each scrape it is set to that total again.
  const counter = (name: string, help: string, labelNames: readonly string[], fill: (add: (labels: PromLabels, value: number) => void) => void): void => {
    const metric: PromCounterLike = new client.Counter({
      name: prefix + name,
      help,
      labelNames,
      registers: [],
      collect: () => {
        metric.reset();
        fill((labels, value) => metric.inc(labels, value));
      },
    });
    add(prefix + name, metric);
  };

  for (const [key, [name, help]] of Object.entries(REGISTRY_GAUGES) as [keyof JobServerStats, readonly [string, string]][]) {
    gauge(name, help, [], (set) => set({}, server.stats()[key]));
  }
  gauge('jobs_by_status', 'Jobs the job store holds, per status (absent when the store cannot count them).', ['status'], (set) => {
    const counts = server.maintenance.jobsByStatus();
    if (counts) for (const status of JOB_STATUSES) set({ status }, counts[status]);
  });
  gauge('inactive_connections', 'Connections the server would drop as idle or session-expired now.', [], (set) => set({}, server.maintenance.inactiveConnections()));
  gauge('pending_outbound_bytes_max', 'Largest pending outbound bytes of one connection.', [], (set) => set({}, server.maintenance.pendingOutboundBytes()));
  gauge('heap_used_bytes', 'V8 heap in use.', [], (set) => set({}, memoryUsage().heapUsed));
  gauge('rss_bytes', 'Resident set size of the process.', [], (set) => set({}, memoryUsage().rss));

  counter('connections_refused_total', 'Connections refused in the handshake, per error code.', ['reason'], (add) => {
    const byCode = server.counters().refusedConnectionsByCode;
    for (const code of Object.values(ErrorCode)) add({ reason: code }, byCode[code] ?? 0);
  });
  counter('notices_sent_total', 'server-timeout-notices sent, per reason.', ['reason'], (add) => {
    const byReason = server.counters().noticesSentByReason;
    for (const reason of NOTICE_REASONS) add({ reason }, byReason[reason] ?? 0);
  });
  for (const [key, [name, help]] of Object.entries(SCALAR_COUNTERS) as [ScalarCounter, readonly [string, string]][]) {
    counter(name, help, [], (add) => add({}, server.counters()[key]));
  }

  if (monitor) {
    gauge('heap_baseline_bytes', 'Heap baseline of the memory monitor (0 before its first sample).', [], (set) => {
      set({}, monitor.history().at(-1)?.heapBaselineBytes ?? 0);
    });
    gauge('alert_active', 'Memory monitor alerts: 1 while in force, else 0.', ['alert'], (set) => {
      const active = new Set(monitor.activeAlerts().map((alert) => alert.name));
      for (const alert of ALERT_NAMES) set({ alert }, active.has(alert) ? 1 : 0);
    });
  }

  return {
    names,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}
