import { ErrorCode, PROTOCOL_VERSION } from '@org/ws-protocol';
import * as promClient from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALERT_NAMES, registerPrometheusMetrics, type PrometheusMetrics } from '../src/index';
import { DORMANT_HEARTBEAT, HOUR, useFakeClock } from './support/fake-clock';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { installMonitorCleanup, manualMemory, startMonitor } from './support/monitor-resource';
import { parseScrape } from './support/prometheus-text';
import { connectClient, connectRefused, createTestClient, subscribe } from './support/test-client';

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
  orgws_pending_conflations: 'gauge',
  orgws_pending_transports: 'gauge',
  orgws_pending_outbound_bytes_max: 'gauge',
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
  orgws_conflated_updates_total: 'counter',
  orgws_slow_consumer_disconnects_total: 'counter',
  orgws_overloaded_subscriptions_total: 'counter',
  orgws_too_many_subscriptions_total: 'counter',
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
    await server.update('archive', { status: 'completed' });
    await server.update('resize', { status: 'failed' });

    const scrape = parseScrape(await registry.metrics());
    expect(Object.fromEntries(scrape.types)).toEqual(SERVER_METRICS);
    for (const name of Object.keys(SERVER_METRICS)) expect(scrape.help.get(name)).toMatch(/\S/);
    expect(scrape.values.get('orgws_connections')).toBe(2);
    expect(scrape.values.get('orgws_connection_ips')).toBe(1);
    expect(scrape.values.get('orgws_jobs')).toBe(5);
    expect(scrape.values.get('orgws_subscriptions')).toBe(2);
    expect(scrape.values.get('orgws_rate_limit_records')).toBe(2);
    expect(scrape.values.get('orgws_watched_jobs')).toBe(1);
    expect(scrape.values.get('orgws_pending_heartbeats')).toBe(0);
    expect(scrape.values.get('orgws_pending_notices')).toBe(0);
    expect(scrape.values.get('orgws_pending_acks')).toBe(0);
    expect(scrape.values.get('orgws_timers')).toBe(2);
    expect(scrape.values.get('orgws_pending_conflations')).toBe(0);
    expect(scrape.values.get('orgws_pending_transports')).toBe(0);
    expect(scrape.values.get('orgws_pending_outbound_bytes_max')).toBeGreaterThanOrEqual(0);
    expect(scrape.values.get('orgws_inactive_connections')).toBe(0);
    expect(scrape.values.get('orgws_heap_used_bytes')).toBe(64 * MB);
    expect(scrape.values.get('orgws_rss_bytes')).toBe(128 * MB);
    expect(scrape.values.get('orgws_jobs_by_status{status="queued"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="running"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="completed"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="failed"}')).toBe(1);
    expect(scrape.values.get('orgws_jobs_by_status{status="cancelled"}')).toBe(1);

    watchers[0]?.socket.disconnect();
    await vi.waitFor(() => expect(server.stats().connections).toBe(1));
    memory.set(65 * MB);
    const later = parseScrape(await registry.metrics());
    expect(later.values.get('orgws_connections')).toBe(1);
    expect(later.values.get('orgws_subscriptions')).toBe(1);
    expect(later.values.get('orgws_heap_used_bytes')).toBe(65 * MB);
  });

  it('mirrors every server total in a counter, each made non-zero on the server first, and counts nothing twice', async () => {
    const { server, url } = await startJobServer({
      heartbeat: { intervalMs: 50, timeoutMs: 50 },
      limits: { maxConnectionsPerIp: 3, rateLimit: { events: 3, windowMs: 60_000, abuseStrikes: 2 } },
      authenticate: ({ auth }) => auth.token !== 'forged',
      authorizeSubscribe: ({ jobId }) => {
        if (jobId === 'crash') throw new Error('authorization backend down');
        return true;
      },
    });
    const registry = new promClient.Registry();
    register({ server, registry });

    expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION + 1 } })).toMatchObject({ code: ErrorCode.UNSUPPORTED_PROTOCOL });
    expect(await connectRefused(url, { auth: { protocolVersion: PROTOCOL_VERSION, token: 'forged' } })).toMatchObject({ code: ErrorCode.UNAUTHORIZED });
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

    const crasher = await connectClient(url);
    expect(await subscribe(crasher, { jobId: 'crash' })).toMatchObject({ ok: false, error: { code: ErrorCode.INTERNAL } });
    crasher.socket.disconnect();

    const garbler = await connectClient(url);
    // Straight to the Engine.IO transport, under Socket.IO's encoder: a frame no Socket.IO packet decodes from.
    (garbler.socket.io.engine as unknown as { write(data: unknown): void }).write('garbage that is no Socket.IO packet');
    await vi.waitFor(() => expect(garbler.socket.connected).toBe(false));

    // Answers its first probe with a ts the server never sent, then nothing: one invalid answer, then a missed probe (the
    // welcome heartbeat before it asks for no answer).
    const liar = createTestClient(url, { answerHeartbeats: false });
    let lied = false;
    liar.socket.on('heartbeat', (probe, ack) => {
      if (!ack || lied) return;
      lied = true;
      ack({ ts: probe.ts - 1 });
    });
    liar.socket.connect();
    await vi.waitFor(() => expect(liar.disconnectReasons).toHaveLength(1));

    await vi.waitFor(() => expect(server.stats().connections).toBe(1));
    await connectClient(url);
    await connectClient(url);
    expect(await connectRefused(url)).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    await vi.waitFor(() => expect(server.counters()).toMatchObject({ unknownEvents: 1, missingAcks: 1 }));

    const expected = {
      'orgws_connections_refused_total{reason="UNSUPPORTED_PROTOCOL"}': 1,
      'orgws_connections_refused_total{reason="UNAUTHORIZED"}': 1,
      'orgws_connections_refused_total{reason="TOO_MANY_CONNECTIONS"}': 1,
      'orgws_connections_refused_total{reason="FORBIDDEN"}': 0,
      'orgws_notices_sent_total{reason="rate-limited"}': 1,
      'orgws_invalid_payloads_total': 1,
      'orgws_unknown_events_total': 1,
      'orgws_missing_acks_total': 1,
      'orgws_rate_limited_events_total': 2,
      'orgws_heartbeats_missed_total': 2,
      'orgws_malformed_packets_total': 1,
      'orgws_invalid_heartbeat_answers_total': 1,
      'orgws_internal_errors_total': 1,
    };
    expect(Object.fromEntries(parseScrape(await registry.metrics()).values)).toMatchObject(expected);
    expect(server.counters()).toMatchObject({
      refusedConnections: 3,
      refusedConnectionsByCode: { UNSUPPORTED_PROTOCOL: 1, UNAUTHORIZED: 1, TOO_MANY_CONNECTIONS: 1 },
      noticesSent: 1,
      noticesSentByReason: { 'rate-limited': 1 },
      invalidPayloads: 1,
      unknownEvents: 1,
      missingAcks: 1,
      rateLimited: 2,
      heartbeatTimeouts: 2,
      malformedPackets: 1,
      invalidHeartbeatAnswers: 1,
      internalErrors: 1,
    });
    // Scraping again does not count anything twice.
    expect(Object.fromEntries(parseScrape(await registry.metrics()).values)).toMatchObject(expected);
  });

  it('reads probes and notices in flight, inactive connections, and idle and shutdown notices at scrape time', async () => {
    const { now } = useFakeClock();
    const { server, url } = await startJobServer({
      now,
      heartbeat: { intervalMs: 1000, timeoutMs: HOUR },
      session: { idleTimeoutMs: 5000, noticeGraceMs: HOUR },
      sweep: { intervalMs: HOUR },
    });
    const registry = new promClient.Registry();
    register({ server, registry });
    const scrape = async (): Promise<Record<string, number>> => Object.fromEntries(parseScrape(await registry.metrics()).values);
    const mute = await connectClient(url, { answerHeartbeats: false, answerNotices: false });
    // It leaves when told the server shuts down, so that close() does not wait for its deadline.
    mute.socket.on('server-timeout-notice', (notice, ack) => {
      if (notice.reason === 'shutdown') ack({ reason: notice.reason });
    });

    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(server.stats().pendingHeartbeats).toBe(1));
    expect(await scrape()).toMatchObject({ orgws_pending_heartbeats: 1, orgws_pending_notices: 0, orgws_pending_acks: 1, orgws_inactive_connections: 0 });

    await vi.advanceTimersByTimeAsync(4000);
    expect(await scrape()).toMatchObject({ orgws_inactive_connections: 1 });

    const idleDisconnect = server.maintenance.disconnectInactive();
    await vi.waitFor(() => expect(mute.notices.map((notice) => notice.reason)).toEqual(['idle']));
    expect(await scrape()).toMatchObject({
      orgws_pending_heartbeats: 1,
      orgws_pending_notices: 1,
      orgws_pending_acks: 2,
      'orgws_notices_sent_total{reason="idle"}': 1,
      'orgws_notices_sent_total{reason="shutdown"}': 0,
    });

    await server.close({ timeoutMs: 5000 });
    expect(await idleDisconnect).toBe(1);
    expect(mute.notices.map((notice) => notice.reason)).toEqual(['idle', 'shutdown']);
    expect(await scrape()).toMatchObject({
      orgws_connections: 0,
      orgws_pending_acks: 0,
      'orgws_notices_sent_total{reason="idle"}': 1,
      'orgws_notices_sent_total{reason="shutdown"}': 1,
    });
  });

  it('adds the monitor\'s heap baseline and every alert in force', async () => {
    // The server's clock, moved by hand: only it decides when the connection counts as inactive.
    let clock = Date.now();
    const { server, url } = await startJobServer({ heartbeat: DORMANT_HEARTBEAT, now: () => clock, session: { idleTimeoutMs: 1000 } });
    const registry = new promClient.Registry();
    const memory = manualMemory(100 * MB);
    const monitor = startMonitor({ server, memoryUsage: memory.read, remediation: false, alerts: { maxConnections: 0, maxProcessingJobs: 0 } });
    register({ server, monitor, registry, memoryUsage: memory.read });
    const alerts = (values: Map<string, number>): Record<string, number | undefined> =>
      Object.fromEntries(ALERT_NAMES.map((alert) => [alert, values.get(`orgws_alert_active{alert="${alert}"}`)]));

    const before = parseScrape(await registry.metrics());
    expect(Object.fromEntries(before.types)).toEqual({ ...SERVER_METRICS, ...MONITOR_METRICS });
    expect(before.values.get('orgws_heap_baseline_bytes')).toBe(0);
    expect(alerts(before.values)).toEqual({ connections: 0, heap: 0, 'inactive-ratio': 0, 'processing-jobs': 0 });

    monitor.sample();
    await connectClient(url);
    await server.update('render', { status: 'running', progress: 10 });
    memory.set(200 * MB);
    clock += 1000;
    expect(monitor.sample().alerts).toEqual([...ALERT_NAMES]);
    const after = parseScrape(await registry.metrics());
    expect(after.values.get('orgws_heap_baseline_bytes')).toBe(100 * MB);
    expect(alerts(after.values)).toEqual({ connections: 1, heap: 1, 'inactive-ratio': 1, 'processing-jobs': 1 });
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
