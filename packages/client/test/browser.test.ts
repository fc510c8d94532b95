import { createServer, type Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUNDLE_GLOBAL, bundleClientForBrowser } from './support/browser-bundle';
import { launchChromium } from '../../../test/support/chromium';
import { startJobServer } from './support/job-server-resource';
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

/** An HTTP server that serves the test page and the bundle; the job server attaches Socket.IO to it (same origin). */
function pageServer(): HttpServer {
  const http = createServer((request, response) => {
    if (request.url === '/client.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client</title><script src="/client.js"></script>');
  });
  trackTeardown(() => new Promise((resolve) => http.close(resolve)));
  return http;
}

interface PageWatch {
  seqs: number[];
  ends: number;
  states: string[];
  errors: string[];
}

describe('in a browser (Chromium)', () => {
  it('watches a job through killed transports and delivers every update and the terminal once', async () => {
    const resource = await startJobServer({ httpServer: pageServer() });
    const page: Page = await browser.newPage();
    trackClosable(() => page.close());
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(resource.url);

    await page.evaluate((globalName) => {
      const { createJobClient } = (window as unknown as Record<string, typeof import('../src/index')>)[globalName]!;
      const watch: PageWatch = { seqs: [], ends: 0, states: [], errors: [] };
      const client = createJobClient({ url: location.origin, reconnect: { initialDelayMs: 50, maxDelayMs: 500, minDelayMs: 20 } });
      client.on('state', (state) => watch.states.push(state.status));
      client.on('error', (error) => watch.errors.push(error.code));
      const handle = client.subscribe('browser-job', (update) => watch.seqs.push(update.seq));
      handle.on('end', () => {
        watch.ends += 1;
      });
      Object.assign(window, { watch, client });
    }, BUNDLE_GLOBAL);
    const read = (): Promise<PageWatch> => page.evaluate(() => (window as unknown as { watch: PageWatch }).watch);

    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1), { timeout: 5000 });
    await resource.server.update('browser-job', { status: 'running', progress: 10 });
    for (let kill = 0; kill < 3; kill += 1) {
      for (const socket of resource.server.io.sockets.sockets.values()) socket.conn.close();
      await resource.server.update('browser-job', { status: 'running', progress: 20 + kill * 20 });
      await vi.waitFor(async () => expect((await read()).seqs.at(-1)).toBe(kill + 2), { timeout: 5000 });
    }
    await resource.server.update('browser-job', { status: 'completed', progress: 100 });
    await vi.waitFor(async () => expect((await read()).ends).toBe(1), { timeout: 5000 });

    const watch = await read();
    expect(watch.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(watch.states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(3);
    expect(pageErrors).toEqual([]);
    await page.evaluate(() => (window as unknown as { client: { close(): Promise<void> } }).client.close());
    await clientsGone(resource.server);
  }, 20_000);
  it("connects to a URL relative to the page, as socket.io-client resolves it, and refuses one it could not connect to", async () => {
    const resource = await startJobServer({ httpServer: pageServer() });
    const page: Page = await browser.newPage();
    trackClosable(() => page.close());
    await page.goto(resource.url);

    const outcome = await page.evaluate(async (globalName) => {
      const { createJobClient } = (window as unknown as Record<string, typeof import('../src/index')>)[globalName]!;
      const refusal = (url: string): string => {
        try {
          createJobClient({ url, autoConnect: false });
          return 'accepted';
        } catch (error) {
          return `${(error as { code: string }).code}: ${(error as Error).message}`;
        }
      };
      const client = createJobClient({ url: '/' });
      client.connect();
      const connected = await new Promise<string>((resolve) => client.on('state', (state) => state.status === 'connected' && resolve(state.url)));
      await client.close();
      return { connected, spaces: refusal('not a url'), port: refusal('//jobs.example.com:99999'), host: refusal('jobs.example.com:3000') };
    }, BUNDLE_GLOBAL);
    expect(outcome).toEqual({ connected: '/', spaces: 'INVALID_OPTIONS: options.url: must not contain white space', port: 'INVALID_OPTIONS: options.url: is not a URL socket.io-client can connect to', host: 'accepted' });
    await clientsGone(resource.server);
  }, 20_000);
});
