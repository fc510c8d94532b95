import { request } from 'node:http';
import { createJobClient, type JobClient } from '@org/ws-client';
import { isTerminal } from '@org/ws-protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiErrorSchema, DemoSettingsSchema, StartedJobsSchema, StatsReplySchema, TAB_HEADER } from '../src/api-schemas';
import type { DemoApp } from '../src/demo-app';
import { startTestDemo } from './support/demo-resource';

let app: DemoApp | undefined;
let client: JobClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  const last = app?.server?.jobServer;
  await app?.close();
  app = undefined;
  if (last) expect(last.stats()).toEqual({ connections: 0, connectionsByIp: 0, pendingTransports: 0, jobs: 0, subscriptions: 0, rateLimitRecords: 0, watchedJobs: 0, pendingHeartbeats: 0, pendingNotices: 0, pendingAcks: 0, timers: 0, pendingConflations: 0 });
});

async function demo(): Promise<string> {
  const started = await startTestDemo();
  app = started.app;
  return started.url;
}

/** A raw request, so that paths are sent exactly as written (fetch would normalise `..`). */
function raw(url: string, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo HTTP API', () => {
  it('POST /api/jobs starts simulated jobs that reach a terminal status in the job server', async () => {
    const url = await demo();
    const response = await fetch(`${url}/api/jobs?count=3`, { method: 'POST' });
    expect(response.status).toBe(201);
    const { jobIds } = StartedJobsSchema.parse(await response.json());
    expect(jobIds).toHaveLength(3);
    await vi.waitFor(
      async () => {
        const snapshots = await Promise.all(jobIds.map((id) => app!.server!.jobServer.getJob(id)));
        expect(snapshots.every((snapshot) => snapshot !== null && isTerminal(snapshot.status))).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(StartedJobsSchema.parse(await (await fetch(`${url}/api/jobs`, { method: 'POST' })).json()).jobIds).toHaveLength(1);
  });

  it.each(['0', '51', '-1', '2.5', 'ten', ''])('POST /api/jobs?count=%s answers 400 INVALID_COUNT', async (count) => {
    const url = await demo();
    const response = await fetch(`${url}/api/jobs?count=${count}`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(ApiErrorSchema.parse(await response.json()).error.code).toBe('INVALID_COUNT');
    expect(app!.simulator.activeJobs).toBe(0);
  });

  it('GET /api/settings and /api/stats answer what the page parses; /healthz reports ok', async () => {
    const url = await demo();
    const settings = DemoSettingsSchema.parse(await (await fetch(`${url}/api/settings`)).json());
    expect(settings.jobs.steps).toBe(6);
    await vi.waitFor(async () => {
      const stats = StatsReplySchema.parse(await (await fetch(`${url}/api/stats`)).json());
      expect(stats.samples.length).toBeGreaterThanOrEqual(2);
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('POST /api/drop closes the transport of that tab only, and its client reconnects', async () => {
    const url = await demo();
    client = createJobClient({ url, auth: 'tab-under-test', reconnect: { initialDelayMs: 50, maxDelayMs: 100 }, autoConnect: true });
    const states: string[] = [];
    client.on('state', (state) => states.push(state.status));
    await vi.waitFor(() => expect(client?.state.status).toBe('connected'));

    const other = await fetch(`${url}/api/drop`, { method: 'POST', headers: { [TAB_HEADER]: 'some-other-tab' } });
    expect(await other.json()).toEqual({ dropped: 0 });
    const missing = await fetch(`${url}/api/drop`, { method: 'POST' });
    expect(missing.status).toBe(400);

    const dropped = await fetch(`${url}/api/drop`, { method: 'POST', headers: { [TAB_HEADER]: 'tab-under-test' } });
    expect(await dropped.json()).toEqual({ dropped: 1 });
    await vi.waitFor(() => expect(states.slice(-2)).toEqual(['connecting', 'connected']));
    expect(states).toContain('reconnecting');
  });

  it('POST /api/restart answers 202 and the server is back on the same port', async () => {
    const url = await demo();
    const first = app!.server;
    const response = await fetch(`${url}/api/restart`, { method: 'POST' });
    expect(response.status).toBe(202);
    await vi.waitFor(() => expect(app?.server && app.server !== first).toBe(true), { timeout: 5000, interval: 50 });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('serves the page and refuses paths outside public/, unknown routes and wrong methods', async () => {
    const url = await demo();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/bundle/page.js');
    expect((await fetch(`${url}/styles.css`)).headers.get('content-type')).toContain('text/css');

    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fsrc%2fmain.ts', '/%E0%A4%A', '/nope.html', '/index.ts']) {
      const answer = await raw(url, 'GET', path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(ApiErrorSchema.parse(JSON.parse(answer.body)).error.code).toBe('NOT_FOUND');
    }
    expect((await raw(url, 'GET', '/api/nothing')).status).toBe(404);
    expect((await raw(url, 'DELETE', '/api/jobs')).status).toBe(405);
    expect((await raw(url, 'GET', '/api/jobs')).status).toBe(405);
    expect((await raw(url, 'POST', '/index.html')).status).toBe(405);
  });
});
