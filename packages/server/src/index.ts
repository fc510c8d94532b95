export { createJobServer } from './job-server';
export type { AnyJobServer, JobIoServer, JobServer, JobServerMaintenance, ListenOptions } from './job-server-api';
export { DEVELOPMENT_MAX_CONNECTIONS_PER_IP, JOB_SERVER_DEFAULTS } from './options';
export type { AuthenticateHook, AuthorizeSubscribeHook, CloseOptions, HandshakeInfo, JobServerOptions } from './options';
export type { AllowedOrigin, JobServerCorsOptions } from './lifecycle/origin-policy';
export { ConnectionRefusedError, JobServerOptionsError, MemoryMonitorOptionsError } from './errors';
export type { JobStore, JobReplay, JobStatusCounts, ExpiredJob, ExpiryRule } from './jobs/job-store';
export { MemoryJobStore } from './jobs/memory-job-store';
export type { MemoryJobStoreOptions } from './jobs/memory-job-store';
export { jobRoom } from './jobs/job-rooms';
export type { JobServerLogger, LogMethod } from './logger';
export type { JobServerStats, JobServerCounters } from './stats';
export type { HealthCheck, HealthStatus, JobServerHealth } from './health';
export type { DisconnectEvent, JobServerEventMap, JobServerEventName, JobServerListener, UnsubscribeReason } from './server-events';
export type { SweepResult } from './lifecycle/sweeper';
export { closeOnSignals } from './lifecycle/shutdown';
export type { CloseOnSignalsOptions } from './lifecycle/shutdown';
export { createMemoryMonitor } from './monitor/memory-monitor';
export type { MemoryMonitor, MemoryMonitorEventMap, MemoryMonitorEventName, MonitorSample } from './monitor/memory-monitor';
export { MEMORY_MONITOR_DEFAULTS } from './monitor/memory-monitor-options';
export type { MemoryMonitorOptions, MemoryReading } from './monitor/memory-monitor-options';
export { ALERT_NAMES } from './monitor/alert-rules';
export type { AlertName, AlertThresholds } from './monitor/alert-rules';
export type { Alert, ClearedAlert } from './monitor/alert-tracker';
export { REMEDIATION_ACTIONS, REMEDIATION_FOR_ALERT } from './monitor/remediation';
export type { RemediationAction, RemediationResult, RemediationUnit } from './monitor/remediation';
export { DEFAULT_METRIC_PREFIX, registerPrometheusMetrics } from './http/prometheus-metrics';
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
} from './http/prometheus-metrics';
export { createHealthHandler, createMetricsHandler, toFastifyHandler } from './http/http-handlers';
export type { FastifyReplyLike, FastifyRequestLike, HealthHandlerOptions, HttpHandler, HttpRequestLike, HttpResponseLike } from './http/http-handlers';
export type { TypedListener } from './typed-events';
export { createJobPublisher } from './redis/job-publisher';
export type { JobPublisher, JobPublisherHealth, JobPublisherOptions } from './redis/job-publisher';
export { RedisJobStore } from './redis/redis-job-store';
export type { RedisJobStoreOptions } from './redis/redis-job-store';
export { REDIS_DEFAULTS } from './redis/redis-options';
export type { JobServerRedisOptions, RedisClientLike, RedisClusterStartupNode, RedisConnectionOptions, RedisFanout, RedisNamespaceOptions, RedisReplicaWaitOptions, RedisWriteOptions } from './redis/redis-options';
export type { ReplicaShortfall } from './redis/replica-shortfall';
export { REDIS_UNAVAILABLE } from './redis/redis-cluster';
export { MissingDependencyError } from './optional-dependency';
