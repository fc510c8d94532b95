import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import * as promClient from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPrometheusMetrics, type PrometheusMetrics } from '../src/index';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, manualMemory, startMonitor } from './support/monitor-resource';
import { parseScrape } from './support/prometheus-text';
import { connectClient, connectRefused, subscribe } from './support/test-client';

installLeakCheck();
installMonitorCleanup();

const registered: PrometheusMetrics[] = [];
afterEach(() => {
  for (const metrics of registered.splice(0)) metrics.unregister();
});

/** Every metric the README documents, with its type; `monitor` ones exist only with a monitor. */
const SERVER_METRICS = {
  orgws_connections: 'gauge',
  orgws_connection_ips: 'gauge',
  orgws_jobs: 'gauge',
  orgws_jobs_by_status: 'gauge',
  orgws_subscriptions: 'gauge',
  orgws_rate_limit_records: 'gauge',
  orgws_watched_jobs: 'gauge',
  orgws_pending_heartbeats: 'gauge',
  orgws_pending_notices: 'gauge',
  orgws_pending_acks: 'gauge',
  orgws_timers: 'gauge',
  orgws_inactive_connections: 'gauge',
  orgws_heap_used_bytes: 'gauge',
  orgws_rss_bytes: 'gauge',
  orgws_connections_refused_total: 'counter',
  orgws_notices_sent_total: 'counter',
  orgws_invalid_payloads_total: 'counter',
  orgws_unknown_events_total: 'counter',
  orgws_malformed_packets_total: 'counter',
  orgws_missing_acks_total: 'counter',
  orgws_rate_limited_events_total: 'counter',
  orgws_heartbeats_missed_total: 'counter',
  orgws_invalid_heartbeat_answers_total: 'counter',
  orgws_internal_errors_total: 'counter',
} as const;
const MONITOR_METRICS = { orgws_heap_baseline_bytes: 'gauge', orgws_alert_active: 'gauge' } as const;

const MB = 1024 * 1024;

function register(options: Parameters<typeof registerPrometheusMetrics>[0]): PrometheusMetrics {
  const metrics = registerPrometheusMetrics({ client: promClient, ...options });
  registered.push(metrics);
  return metrics;
}

describe('Prometheus metrics', () => {
  it('exposes a gauge for every registry size, jobs by status, heap and RSS, read at scrape time', async () => {
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const registry = new promClient.Registry();
    const memory = manualMemory(64 * MB, 128 * MB);
    register({ server, registry, memoryUsage: memory.read });
    const watchers = [await connectClient(url), await connectClient(url)];
    for (const watcher of watchers) await subscribe(watcher, { jobId: 'render' });
    await server.update('render', { status: 'running', progress: 50 });
    await server.update('import', { status: 'queued' });
    await server.update('export', { status: 'cancelled' });

    const scrape = parseScrape(await registry.metrics());
    const stats = server.stats();
    expect(Object.fromEntries(scrape.types)).toEqual(SERVER_METRICS);
    for (const name of Object.keys(SERVER_METRICS)) expect(scrape.help.get(name)).toMatch(/\S/);
    expect(scrape.values.get('orgws_connections')).toBe(2);
    expect(scrape.values.get('orgws_connection_ips')).toBe(stats.connectionsByIp);
    expect(scrape.values.get('orgws_jobs')).toBe(3);
    expect(scrape.values.get('orgws_subscriptions')).toBe(2);
    expect(scrape.values.get('orgws_rate_limit_records')).toBe(stats.rateLimitRecords);
    expect(scrape.values.get('orgws_watched_jobs')).toBe(1);
    expect(scrape.values.get('orgws_pending_heartbeats')).toBe(0);
    expect(scrape.values.get('orgws_pending_notices')).toBe(0);
    expect(scrape.values.get('orgws_pending_acks')).toBe(0);
    expect(scrape.values.get('orgws_timers')).toBe(2);
    expect(scrape.values.get('orgws_inactive_connections')).toBe(0);
    expect(scrape.values.get('orgws_heap_used_bytes')).toBe(64 * MB);
    expect(scrape.values.get('orgws_rss_bytes')).toBe(128 * MB);
    expect(scrape.values.get('orgws_jobs_by_status{status="queued"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="running"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="completed"}')).toBe(0);
    expect(scrape.values.get('orgws_jobs_by_status{status="failed"}')).toBe(0);
    expect(scrape.values.get('orgws_jobs_by_status{status="cancelled"}')).toBe(1);

    watchers[0]?.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(1));
    memory.set(65 * MB);
    const later = parseScrape(await registry.metrics());
    expect(later.values.get('orgws_connections')).toBe(1);
    expect(later.values.get('orgws_subscriptions')).toBe(1);
    expect(later.values.get('orgws_heap_used_bytes')).toBe(65 * MB);
  });

  it('mirrors the server totals in counters: refusals and notices by reason, invalid payloads, rate limiting, missed heartbeats', async () => {
    const { server, url } = await startJobServer({
      heartbeat: { intervalMs: 50, timeoutMs: 50 },
      limits: { maxConnectionsPerIp: 3, rateLimit: { events: 3, windowMs: 60_000, abuseStrikes: 2 } },
    });
    const registry = new promClient.Registry();
    register({ server, registry });

    expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION + 1 } })).toMatchObject({ code: ErrorCode.UNSUPPORTED_PROTOCOL });
    const speaker = await connectClient(url);
    expect(await subscribe(speaker, { jobId: '' })).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });
    // Off-protocol on purpose: an unknown event, and a request without its ack callback.
    const untyped = speaker.socket as unknown as { emit(event: string, ...args: unknown[]): void };
    untyped.emit('not-a-protocol-event');
    untyped.emit('subscribe-job', { jobId: 'no-ack' });

    const flooder = await connectClient(url);
    await Promise.all(Array.from({ length: 5 }, (_, i) => subscribe(flooder, { jobId: `flood-${i}` })));
    await vi.waitFor(() => expect(flooder.socket.connected).toBe(false));

    const deaf = await connectClient(url, { answerHeartbeats: false });
    await vi.waitFor(() => expect(deaf.socket.connected).toBe(false));
    await connectClient(url);
    await connectClient(url);
    expect(await connectRefused(url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    await vi.waitFor(() => expect(server.counters()).toMatchObject({ unknownEvents: 1, missingAcks: 1 }));

    const counters = server.counters();
    const scrape = parseScrape(await registry.metrics());
    expect(scrape.values.get('orgws_connections_refused_total{reason="UNSUPPORTED_PROTOCOL"}')).toBe(1);
    expect(scrape.values.get('orgws_connections_refused_total{reason="TOO_MANY_CONNECTIONS"}')).toBe(1);
    expect(scrape.values.get('orgws_connections_refused_total{reason="UNAUTHORIZED"}')).toBe(0);
    expect(scrape.values.get('orgws_notices_sent_total{reason="rate-limited"}')).toBe(1);
    expect(scrape.values.get('orgws_notices_sent_total{reason="idle"}')).toBe(0);
    expect(scrape.values.get('orgws_notices_sent_total{reason="shutdown"}')).toBe(0);
    expect(scrape.values.get('orgws_invalid_payloads_total')).toBe(1);
    expect(scrape.values.get('orgws_rate_limited_events_total')).toBe(2);
    expect(scrape.values.get('orgws_heartbeats_missed_total')).toBe(1);
    expect(scrape.values.get('orgws_unknown_events_total')).toBe(1);
    expect(scrape.values.get('orgws_missing_acks_total')).toBe(1);
    expect(counters).toMatchObject({
      refusedConnections: 2,
      refusedConnectionsByCode: { UNSUPPORTED_PROTOCOL: 1, TOO_MANY_CONNECTIONS: 1 },
      noticesSent: 1,
      noticesSentByReason: { 'rate-limited': 1 },
      invalidPayloads: 1,
      rateLimited: 2,
      heartbeatTimeouts: 1,
    });
    for (const [name, key] of [
      ['orgws_malformed_packets_total', 'malformedPackets'],
      ['orgws_invalid_heartbeat_answers_total', 'invalidHeartbeatAnswers'],
      ['orgws_internal_errors_total', 'internalErrors'],
    ] as const) {
      expect(scrape.values.get(name)).toBe(counters[key]);
    }
    // Scraping again does not count anything twice.
    expect(parseScrape(await registry.metrics()).values.get('orgws_rate_limited_events_total')).toBe(2);
  });

  it('adds the monitor\'s heap baseline and alerts in force', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const registry = new promClient.Registry();
    const memory = manualMemory(100 * MB);
    const monitor = startMonitor({ server, memoryUsage: memory.read, remediation: false });
    register({ server, monitor, registry, memoryUsage: memory.read });

    const before = parseScrape(await registry.metrics());
    expect(Object.fromEntries(before.types)).toEqual({ ...SERVER_METRICS, ...MONITOR_METRICS });
    expect(before.values.get('orgws_heap_baseline_bytes')).toBe(0);

    monitor.sample();
    memory.set(200 * MB);
    monitor.sample();
    const after = parseScrape(await registry.metrics());
    expect(after.values.get('orgws_heap_baseline_bytes')).toBe(100 * MB);
    expect(after.values.get('orgws_alert_active{alert="heap"}')).toBe(1);
    expect(after.values.get('orgws_alert_active{alert="connections"}')).toBe(0);
    expect(after.values.get('orgws_alert_active{alert="inactive-ratio"}')).toBe(0);
    expect(after.values.get('orgws_alert_active{alert="processing-jobs"}')).toBe(0);
  });

  it('follows Prometheus naming: one prefix, counters end in _total, byte gauges in _bytes', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const registry = new promClient.Registry();
    const monitor = startMonitor({ server, memoryUsage: manualMemory().read });
    const metrics = register({ server, monitor, registry, prefix: 'jobs_' });
    const scrape = parseScrape(await registry.metrics());
    expect([...scrape.types.keys()].sort()).toEqual([...metrics.names].sort());
    for (const [name, type] of scrape.types) {
      expect(name).toMatch(/^jobs_[a-z]+(_[a-z]+)*$/);
      expect(name.endsWith('_total')).toBe(type === 'counter');
    }
    expect([...scrape.types.keys()].filter((name) => /heap|rss/.test(name)).every((name) => name.endsWith('_bytes'))).toBe(true);
  });

  it('unregisters its metrics, so a restarted server can register again; defaults to prom-client\'s global registry', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const first = registerPrometheusMetrics({ client: promClient, server });
    expect(() => registerPrometheusMetrics({ client: promClient, server })).toThrow(/already been registered/);
    expect(parseScrape(await promClient.register.metrics()).types.get('orgws_connections')).toBe('gauge');
    first.unregister();
    expect(parseScrape(await promClient.register.metrics()).types.has('orgws_connections')).toBe(false);
    register({ server });
    expect(parseScrape(await promClient.register.metrics()).values.get('orgws_connections')).toBe(0);
  });

  it('loads prom-client by itself when no client is given', async () => {
    const { server } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT });
    const registry = new promClient.Registry();
    registered.push(registerPrometheusMetrics({ server, registry }));
    expect(parseScrape(await registry.metrics()).types).toEqual(new Map(Object.entries(SERVER_METRICS)));
  });
});
