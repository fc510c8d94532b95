import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobServerOptions } from '@org/ws-server';
import { BUNDLE_GLOBAL, bundleClientForBrowser } from './support/browser-bundle';
import { launchChromium } from '../../../test/support/chromium';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { clientsGone, installLeakCheck, trackClosable, trackTeardown } from './support/leak-check';

installLeakCheck();

let browser: Browser;
let bundle: string;

beforeAll(async () => {
  [bundle, browser] = await Promise.all([bundleClientForBrowser(), launchChromium()]);
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

/** Serves the test page and the bundle on its own port: another origin than the job server's. Resolves the port. */
async function pageServer(): Promise<number> {
  const http = createServer((request, response) => {
    if (request.url === '/client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title><script src="/client.js"></script>');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  trackTeardown(() => new Promise((resolve) => http.close(resolve)));
  return (http.address() as AddressInfo).port;
}

interface PageWatch {
  statuses: string[];
  ends: number;
  states: { status: string; reason?: string; code?: string; message?: string }[];
}

/** Opens `pageUrl` and subscribes to `browser-job` on the job server from there. */
async function watchFromPage(pageUrl: string, server: JobServerResource, transports?: string[]): Promise<{ page: Page; read: () => Promise<PageWatch> }> {
  const page = await browser.newPage();
  trackClosable(() => page.close());
  await page.goto(pageUrl);
  await page.evaluate(
    ({ globalName, url, transports }) => {
      const { createJobClient } = (window as unknown as Record<string, typeof import('../src/index')>)[globalName]!;
      const watch: PageWatch = { statuses: [], ends: 0, states: [] };
      const socketOptions = transports ? { transports } : {};
      const client = createJobClient({ url, socketOptions, reconnect: { initialDelayMs: 50, maxDelayMs: 200, minDelayMs: 20 } });
      client.on('state', (state) => {
        const error = 'error' in state ? state.error : undefined;
        watch.states.push({ status: state.status, ...('reason' in state && { reason: state.reason }), ...(error && { code: error.code, message: error.message }) });
      });
      const handle = client.subscribe('browser-job', (update) => watch.statuses.push(update.status));
      handle.on('end', () => {
        watch.ends += 1;
      });
      Object.assign(window, { watch, client });
    },
    { globalName: BUNDLE_GLOBAL, url: server.url, transports },
  );
  // Closed before the page (teardowns run last first), which goes only once the server let go of the client.
  trackClosable(async () => {
    await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
    await clientsGone(server.server);
  });
  return { page, read: () => page.evaluate(() => (window as unknown as { watch: PageWatch }).watch) };
}

describe('a page on another origin than the server (Chromium)', () => {
  for (const transports of [undefined, ['websocket']]) {
    const name = transports ? 'WebSocket only' : 'polling first (the default)';
    it(`connects from an allowed origin and receives a job to its terminal update (${name})`, async () => {
      const pagePort = await pageServer();
      const server = await startJobServer({ cors: { origin: [`http://127.0.0.1:${pagePort}`, /^http:\/\/never\.example$/] } });
      const { read } = await watchFromPage(`http://127.0.0.1:${pagePort}/`, server, transports);
      await vi.waitFor(() => expect(server.server.stats().subscriptions).toBe(1), { timeout: 5000 });
      await server.server.update('browser-job', { status: 'running', progress: 50 });
      await server.server.update('browser-job', { status: 'completed', progress: 100 });
      await vi.waitFor(async () => expect((await read()).ends).toBe(1), { timeout: 5000 });
      const watch = await read();
      expect(watch.statuses).toEqual(['running', 'completed']);
      expect(watch.states.map((state) => state.status)).toEqual(['connecting', 'connected']);
    }, 20_000);
  }

  for (const transports of [undefined, ['websocket']]) {
    const name = transports ? 'WebSocket only' : 'polling first (the default)';
    it(`gives up at once with FORBIDDEN naming the origin when the origin is not allowed (${name})`, async () => {
      const pagePort = await pageServer();
      const options: JobServerOptions = { cors: { origin: `http://127.0.0.1:${pagePort}` } };
      const server = await startJobServer(options);
      // localhost and 127.0.0.1 are different origins: this page is not allowed.
      const { read } = await watchFromPage(`http://localhost:${pagePort}/`, server, transports);
      await vi.waitFor(async () => expect((await read()).states.at(-1)?.status).toBe('disconnected'), { timeout: 5000 });
      const { states } = await read();
      expect(states.at(-1)).toEqual({
        status: 'disconnected',
        reason: 'gave-up',
        code: 'FORBIDDEN',
        message: expect.stringContaining(`this server does not allow pages from http://localhost:${pagePort} (see the cors option of createJobServer)`),
      });
      expect(states.filter((state) => state.status === 'connecting')).toHaveLength(1);
      expect(server.server.stats().connections).toBe(0);
    }, 20_000);
  }

  it('without a cors option, a polling page on another origin reports a transport error that names CORS, and retries with backoff', async () => {
    const pagePort = await pageServer();
    // The browser hides the server's answers, so the transports it opened wait out the handshake deadline.
    const server = await startJobServer({ limits: { handshakeTimeoutMs: 500 } });
    const { read } = await watchFromPage(`http://127.0.0.1:${pagePort}/`, server);
    await vi.waitFor(async () => expect((await read()).states.filter((state) => state.status === 'reconnecting').length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    const reconnecting = (await read()).states.find((state) => state.status === 'reconnecting');
    expect(reconnecting).toEqual({
      status: 'reconnecting',
      reason: 'connect-failed',
      code: 'TRANSPORT_ERROR',
      message: expect.stringContaining(`this page's origin http://127.0.0.1:${pagePort} is not the server's`),
    });
  }, 20_000);
});
