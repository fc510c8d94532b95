export { createJobServer } from './job-server';
export type { JobIoServer, JobServer, JobServerMaintenance, ListenOptions } from './job-server';
export { DEVELOPMENT_MAX_CONNECTIONS_PER_IP, JOB_SERVER_DEFAULTS } from './options';
export type { AuthenticateHook, AuthorizeSubscribeHook, CloseOptions, HandshakeInfo, JobServerOptions } from './options';
export { ConnectionRefusedError, JobServerOptionsError, MemoryMonitorOptionsError } from './errors';
export type { JobStore, JobReplay, JobStatusCounts, ExpiredJob, ExpiryRule } from './job-store';
export { MemoryJobStore } from './memory-job-store';
export type { MemoryJobStoreOptions } from './memory-job-store';
export { jobRoom } from './job-rooms';
export type { JobServerLogger, LogMethod } from './logger';
export type { JobServerStats, JobServerCounters } from './stats';
export type { HealthCheck, HealthStatus, JobServerHealth } from './health';
export type { DisconnectEvent, JobServerEventMap, JobServerEventName, JobServerListener, UnsubscribeReason } from './server-events';
export type { SweepResult } from './sweeper';
export { closeOnSignals } from './shutdown';
export type { CloseOnSignalsOptions } from './shutdown';
export { createMemoryMonitor } from './memory-monitor';
export type { MemoryMonitor, MemoryMonitorEventMap, MemoryMonitorEventName, MonitorSample } from './memory-monitor';
export { MEMORY_MONITOR_DEFAULTS } from './memory-monitor-options';
export type { MemoryMonitorOptions, MemoryReading } from './memory-monitor-options';
export { ALERT_NAMES } from './alert-rules';
export type { AlertName, AlertThresholds } from './alert-rules';
export type { Alert, ClearedAlert } from './alert-tracker';
export { REMEDIATION_ACTIONS, REMEDIATION_FOR_ALERT } from './remediation';
export type { RemediationAction, RemediationResult, RemediationUnit } from './remediation';
export { DEFAULT_METRIC_PREFIX, registerPrometheusMetrics } from './prometheus-metrics';
export type {
  PromClientLike,
  PromCounterLike,
  PromGaugeLike,
  PromLabels,
  PromMetricLike,
  PromMetricConfig,
  PromRegistryLike,
  PrometheusMetrics,
  PrometheusMetricsOptions,
} from './prometheus-metrics';
export { createHealthHandler, createMetricsHandler, toFastifyHandler } from './http-handlers';
export type { FastifyReplyLike, FastifyRequestLike, HealthHandlerOptions, HttpHandler, HttpRequestLike, HttpResponseLike } from './http-handlers';
export type { TypedListener } from './typed-events';
export { createJobPublisher } from './job-publisher';
export type { JobPublisher, JobPublisherHealth, JobPublisherOptions } from './job-publisher';
export { RedisJobStore } from './redis-job-store';
export type { RedisJobStoreOptions } from './redis-job-store';
export { REDIS_DEFAULTS } from './redis-options';
export type { JobServerRedisOptions, RedisClientLike, RedisConnectionOptions, RedisNamespaceOptions } from './redis-options';
export { REDIS_UNAVAILABLE } from './redis-cluster';
export { MissingDependencyError } from './optional-dependency';
