import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fastify from 'fastify';
import * as promClient from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHealthHandler,
  createJobServer,
  createMetricsHandler,
  registerPrometheusMetrics,
  toFastifyHandler,
  type HealthHandlerOptions,
  type HttpHandler,
  type JobServer,
  type PromRegistryLike,
} from '../src/index';
import { DORMANT_HEARTBEAT } from './support/fake-clock';
import { httpRequest } from './support/http-request';
import { installLeakCheck, trackServers } from './support/leak-check';
import { installMonitorCleanup, manualMemory, startMonitor } from './support/monitor-resource';
import { connectClient } from './support/test-client';

// Registered first so that it runs last, after the leak check closed the clients and job servers: closes the
// application servers (node:http, Express, Fastify) the test started.
const appClosers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(appClosers.splice(0).map((close) => close()));
});
installLeakCheck();
installMonitorCleanup();

/**
 * An application HTTP server with `/healthz` and `/metrics` routes and a job server attached to it, the way
 * an operator would wire them; `routes` receives the job server once it exists.
 */
async function appServer(routes: (server: JobServer) => Record<string, RequestListener>): Promise<{ server: JobServer; url: string }> {
  let table: Record<string, RequestListener> = {};
  const httpServer = createServer((req, res) => {
    const route = table[req.url ?? ''];
    if (route) {
      route(req, res);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  appClosers.push(() => new Promise((resolve) => httpServer.close(resolve)));
  const server = createJobServer({ httpServer, heartbeat: DORMANT_HEARTBEAT });
  trackServers(server);
  table = routes(server);
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url: `http://127.0.0.1:${port}` };
}

const healthRoutes = (options?: HealthHandlerOptions) => (server: JobServer) => ({ '/healthz': createHealthHandler(server, options) });

/** A prom-client registry with one gauge whose collect throws a message that must never reach a response. */
function brokenRegistry(): InstanceType<typeof promClient.Registry> {
  const registry = new promClient.Registry();
  new promClient.Gauge({
    name: 'broken_gauge',
    help: 'A gauge whose collect throws.',
    registers: [registry],
    collect() {
      throw new Error('secret internals');
    },
  });
  return registry;
}

describe('/healthz handler over node:http', () => {
  it('answers 200 with the health JSON while ok, never cached', async () => {
    const { url } = await appServer(healthRoutes());
    await connectClient(url);
    const reply = await httpRequest(`${url}/healthz`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok', reasons: [], connections: 1, uptimeMs: expect.any(Number) });
  });

  it('reports degraded with the monitor\'s alerts in force and their numbers; 200 unless told otherwise', async () => {
    const memory = manualMemory(100);
    let monitor: ReturnType<typeof startMonitor> | undefined;
    const { url } = await appServer((server) => {
      monitor = startMonitor({ server, memoryUsage: memory.read, remediation: false });
      return {
        '/healthz': createHealthHandler(server, { monitor }),
        '/healthz-strict': createHealthHandler(server, { monitor, degradedStatusCode: 503 }),
      };
    });
    monitor?.sample();
    memory.set(151);
    const sample = monitor?.sample();
    expect(sample?.alerts).toEqual(['heap']);

    const reply = await httpRequest(`${url}/healthz`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({
      status: 'degraded',
      reasons: ['overloaded:heap-alert', 'alert:heap'],
      connections: 0,
      uptimeMs: expect.any(Number),
      alerts: [{ name: 'heap', value: 151, threshold: 150, since: sample?.at }],
    });
    expect((await httpRequest(`${url}/healthz-strict`)).status).toBe(503);
  });

  it('answers 503 shutting-down from the moment close() begins', async () => {
    const { server, url } = await appServer(healthRoutes());
    await connectClient(url, { answerNotices: false });
    const closing = server.close({ timeoutMs: 1000 });
    const during = await httpRequest(`${url}/healthz`);
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toMatchObject({ status: 'shutting-down', connections: 1 });
    await closing;
    expect(JSON.parse((await httpRequest(`${url}/healthz`)).body)).toMatchObject({ status: 'shutting-down', connections: 0 });
  });

  it('refuses a degradedStatusCode node:http cannot send, or a monitor that is not one, when it is made (not at the first degraded request)', () => {
    const server = { health: () => ({ status: 'ok' as const, reasons: [], connections: 0, uptimeMs: 0 }) };
    for (const degradedStatusCode of [1503, 99, 503.5, Number.NaN, '503' as unknown as number]) {
      expect(() => createHealthHandler(server, { degradedStatusCode })).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'degradedStatusCode' }));
    }
    expect(() => createHealthHandler(server, { monitor: {} as never })).toThrow(expect.objectContaining({ name: 'JobServerOptionsError', option: 'monitor' }));
    expect(() => createHealthHandler(server, { degradedStatusCode: 503 })).not.toThrow();
  });

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const { url } = await appServer(healthRoutes());
    const head = await httpRequest(`${url}/healthz`, 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    const post = await httpRequest(`${url}/healthz`, 'POST');
    expect(post).toMatchObject({ status: 405, body: '' });
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('/metrics handler over node:http', () => {
  it('answers the registry\'s exposition text with its content type', async () => {
    const registry = new promClient.Registry();
    const { url } = await appServer((server) => {
      registerPrometheusMetrics({ client: promClient, server, registry });
      return { '/metrics': createMetricsHandler(registry) };
    });
    await connectClient(url);
    const reply = await httpRequest(`${url}/metrics`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(registry.contentType);
    expect(reply.body).toContain('# TYPE orgws_connections gauge\norgws_connections 1\n');
    expect(reply.body).toContain('# TYPE orgws_heartbeats_missed_total counter\norgws_heartbeats_missed_total 0\n');
    expect(await httpRequest(`${url}/metrics`, 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await httpRequest(`${url}/metrics`, 'DELETE')).toMatchObject({ status: 405 });
  });

  it('answers 500 without details when collecting fails', async () => {
    const registry = brokenRegistry();
    const { url } = await appServer(() => ({ '/metrics': createMetricsHandler(registry satisfies PromRegistryLike) }));
    const reply = await httpRequest(`${url}/metrics`);
    expect(reply).toMatchObject({ status: 500, body: 'metrics could not be collected\n' });
    expect(reply.body).not.toContain('secret');
  });
});

/** Handlers per path, made once the job server exists. */
type HandlerRoutes = (server: JobServer) => Record<string, HttpHandler>;

/** An Express application on its own HTTP server with the job server attached, as its README shows. */
async function expressApp(routes: HandlerRoutes): Promise<{ server: JobServer; url: string }> {
  const app = express();
  const httpServer = createServer(app);
  appClosers.push(() => new Promise((resolve) => httpServer.close(resolve)));
  const server = createJobServer({ httpServer, heartbeat: DORMANT_HEARTBEAT });
  trackServers(server);
  // `all` rather than `get`: the handlers answer the methods they do not serve with 405 themselves.
  for (const [path, handler] of Object.entries(routes(server))) app.all(path, handler);
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url: `http://127.0.0.1:${port}` };
}

/** A Fastify application listening by itself, with the job server attached to Fastify's HTTP server. */
async function fastifyApp(routes: HandlerRoutes): Promise<{ server: JobServer; url: string }> {
  const app = fastify();
  appClosers.push(() => app.close());
  const server = createJobServer({ httpServer: app.server, heartbeat: DORMANT_HEARTBEAT });
  trackServers(server);
  for (const [path, handler] of Object.entries(routes(server))) app.all(path, toFastifyHandler(handler));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { server, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

describe.each([
  ['Express', expressApp],
  ['Fastify (through toFastifyHandler)', fastifyApp],
])('/healthz and /metrics on a real %s app', (_, startApp) => {
  it('answers the health JSON and the exposition text with their content types, HEAD without a body and other methods with 405', async () => {
    const registry = new promClient.Registry();
    const { url } = await startApp((server) => {
      registerPrometheusMetrics({ client: promClient, server, registry });
      return { '/healthz': createHealthHandler(server), '/metrics': createMetricsHandler(registry) };
    });
    await connectClient(url);

    const health = await httpRequest(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(health.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', reasons: [], connections: 1, uptimeMs: expect.any(Number) });

    const metrics = await httpRequest(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe(registry.contentType);
    expect(metrics.headers['cache-control']).toBe('no-store');
    expect(metrics.body).toContain('# TYPE orgws_connections gauge\norgws_connections 1\n');

    for (const path of ['/healthz', '/metrics']) {
      expect(await httpRequest(`${url}${path}`, 'HEAD')).toMatchObject({ status: 200, body: '' });
      for (const method of ['POST', 'DELETE']) {
        const refused = await httpRequest(`${url}${path}`, method);
        expect(refused).toMatchObject({ status: 405, body: '' });
        expect(refused.headers.allow).toBe('GET, HEAD');
      }
    }
  });

  it('answers 503 shutting-down from the moment close() begins, and a 500 without details when collecting fails', async () => {
    const registry = brokenRegistry();
    const { server, url } = await startApp((jobServer) => ({ '/healthz': createHealthHandler(jobServer), '/metrics': createMetricsHandler(registry) }));
    await connectClient(url, { answerNotices: false });

    const failed = await httpRequest(`${url}/metrics`);
    expect(failed).toMatchObject({ status: 500, body: 'metrics could not be collected\n' });
    expect(failed.headers['content-type']).toBe('text/plain; charset=utf-8');

    const closing = server.close({ timeoutMs: 1000 });
    const during = await httpRequest(`${url}/healthz`);
    expect(during.status).toBe(503);
    expect(during.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(during.body)).toMatchObject({ status: 'shutting-down', connections: 1 });
    await closing;
    const after = await httpRequest(`${url}/healthz`);
    expect(after.status).toBe(503);
    expect(JSON.parse(after.body)).toMatchObject({ status: 'shutting-down', connections: 0 });
  });
});
