import { createServer, type Server as HttpServer } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { JobServerOptions } from '@org/ws-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium } from '../../../test/support/chromium';
import { startJobServer } from '../../client/test/support/job-server-resource';
import { clientsGone, installLeakCheck, trackClosable, trackTeardown } from '../../client/test/support/leak-check';
import type { JobPage, Scene } from './page/job-page';
import { logJobRequests } from './support/request-log';
import { bundleJobPage, REACT_VERSIONS, type ReactMajor } from './support/test-page-bundle';

installLeakCheck();

let browser: Browser;
const bundles = new Map<ReactMajor, string>();

beforeAll(async () => {
  const [launched, ...built] = await Promise.all([launchChromium(), ...REACT_VERSIONS.map((major) => bundleJobPage(major))]);
  browser = launched;
  REACT_VERSIONS.forEach((major, index) => bundles.set(major, built[index]!));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** An HTTP server for the page and its bundle; the job server attaches Socket.IO to it (same origin). */
function pageServer(bundle: string): HttpServer {
  const http = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>react</title><div id="root"></div><script src="/page.js"></script>');
  });
  trackTeardown(() => new Promise((resolve) => http.close(resolve)));
  return http;
}

interface Row {
  job: string;
  status: string;
  progress: string;
  outcome: string;
  error: string;
  connection: string;
}

/** A page of the given React version served with a fresh job server, every component unmounted and the page closed after the test. */
async function openPage(major: ReactMajor, serverOptions: JobServerOptions = {}) {
  const resource = await startJobServer({ ...serverOptions, httpServer: pageServer(bundles.get(major)!) });
  const requests = logJobRequests(resource.server);
  const page: Page = await browser.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  trackClosable(async () => {
    await page.evaluate(async () => {
      const { jobPage } = window as unknown as { jobPage: JobPage };
      jobPage.clear();
      await jobPage.closeSharedClient();
    });
    // Unmounting closes the clients the page made; their goodbyes must reach the server before the page goes.
    await clientsGone(resource.server);
    await page.close();
  });
  await page.goto(resource.url);
  const show = (scene: Omit<Scene, 'url'>) =>
    page.evaluate((full) => (window as unknown as { jobPage: JobPage }).jobPage.show(full), { ...scene, url: resource.url });
  const rows = (): Promise<Row[]> =>
    page.$$eval('li', (items) =>
      items.map((item) => ({
        job: item.dataset.job!,
        status: item.dataset.status!,
        progress: item.dataset.progress!,
        outcome: item.dataset.outcome!,
        error: item.dataset.error!,
        connection: item.dataset.connection!,
      })),
    );
  const badge = () => page.$eval('#badge', (element) => (element as HTMLElement).dataset.status);
  return { server: () => resource.server, url: resource.url, requests, page, pageErrors, show, rows, badge };
}

const evaluateOnPage = <T,>(page: Page, read: (jobPage: JobPage) => T | Promise<T>): Promise<T> =>
  page.evaluate(`(${read.toString()})(window.jobPage)`) as Promise<T>;

describe.each(REACT_VERSIONS)('with React %i in Chromium', (major) => {
  it('bundles the React version under test', async () => {
    const { page } = await openPage(major);
    expect(await evaluateOnPage(page, (jobPage) => jobPage.reactVersion)).toMatch(new RegExp(`^${major}\\.`));
  });

  it('shows the progress of a job, then its terminal status, and releases it', async () => {
    const { show, rows, badge, server, requests, pageErrors } = await openPage(major);
    await show({ jobs: ['export-1'], strict: false, sharedClient: false });
    await vi.waitFor(async () => expect(await badge()).toBe('connected'), { timeout: 5000 });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });

    await server().update('export-1', { status: 'running', progress: 40 });
    await vi.waitFor(async () => expect(await rows()).toEqual([{ job: 'export-1', status: 'running', progress: '40', outcome: '', error: '', connection: 'connected' }]), { timeout: 5000 });

    await server().update('export-1', { status: 'completed', progress: 100, data: { url: '/files/1.csv' } });
    await vi.waitFor(async () => expect(await rows()).toEqual([{ job: 'export-1', status: 'completed', progress: '100', outcome: 'terminal', error: '', connection: 'connected' }]), { timeout: 5000 });
    // The client releases a job that ended while the component still shows it.
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(0), { timeout: 5000 });
    expect(requests).toEqual([
      { event: 'subscribe-job', jobId: 'export-1' },
      { event: 'unsubscribe-job', jobId: 'export-1' },
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('checks data with a schema: an invalid update is not shown, a valid one is, an invalid terminal one ends with INVALID_DATA', async () => {
    const { page, show, rows, server, pageErrors } = await openPage(major);
    const url = () => page.$eval('li', (item) => (item as HTMLElement).dataset.url);
    await show({ jobs: ['checked-1'], strict: false, sharedClient: false });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });

    await server().update('checked-1', { status: 'running', progress: 10, data: { url: 42 } });
    await server().update('checked-1', { status: 'running', progress: 50, data: { url: '/a' } });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '50', error: '' }), { timeout: 5000 });
    expect(await url()).toBe('/a');

    await server().update('checked-1', { status: 'completed', progress: 100, data: { url: 7 } });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '50', outcome: 'error', error: 'INVALID_DATA' }), { timeout: 5000 });
    expect(await url()).toBe('/a');
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(0), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('connects on the first useJob by default, not when the provider mounts', async () => {
    const { show, badge, server, page, pageErrors } = await openPage(major);
    await show({ jobs: [], strict: false, sharedClient: false });
    expect(await badge()).toBe('disconnected');
    await show({ jobs: ['lazy-1'], strict: false, sharedClient: false });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    expect(await badge()).toBe('connected');
    expect(await evaluateOnPage(page, (jobPage) => jobPage.badgeHistory)).toEqual(['disconnected', 'connecting', 'connected']);
    expect(pageErrors).toEqual([]);
  });

  it('sends one subscribe-job for a job mounted under StrictMode and releases it on unmount', async () => {
    const { show, rows, badge, server, requests, page, pageErrors } = await openPage(major);
    // Connected first (autoConnect: true connects after mount), so the StrictMode remount happens while a subscribe-job could go out at once.
    await show({ jobs: [], strict: true, sharedClient: false, autoConnect: true });
    await vi.waitFor(async () => expect(await badge()).toBe('connected'), { timeout: 5000 });
    await show({ jobs: ['strict-1'], strict: true, sharedClient: false, autoConnect: true });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('strict-1', { status: 'running', progress: 5 });
    await vi.waitFor(async () => expect((await rows())[0]?.progress).toBe('5'), { timeout: 5000 });

    await show({ jobs: [], strict: true, sharedClient: false, autoConnect: true });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(0), { timeout: 5000 });
    expect(requests).toEqual([
      { event: 'subscribe-job', jobId: 'strict-1' },
      { event: 'unsubscribe-job', jobId: 'strict-1' },
    ]);
    // The provider under StrictMode made and kept one client, hence one connection.
    expect(server().stats().connections).toBe(1);
    await evaluateOnPage(page, (jobPage) => jobPage.clear());
    await vi.waitFor(() => expect(server().stats().connections).toBe(0), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('switches the subscription when the job id changes, without leaking the old one', async () => {
    const { show, rows, server, requests, pageErrors } = await openPage(major);
    await show({ jobs: ['switch-1'], strict: true, sharedClient: false });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('switch-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ job: 'switch-1', progress: '10' }), { timeout: 5000 });

    await show({ jobs: ['switch-2'], strict: true, sharedClient: false });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ job: 'switch-2', status: 'none', progress: '' }), { timeout: 5000 });
    await server().update('switch-2', { status: 'running', progress: 70 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ job: 'switch-2', progress: '70' }), { timeout: 5000 });
    await vi.waitFor(() => expect(requests).toEqual([
      { event: 'subscribe-job', jobId: 'switch-1' },
      { event: 'subscribe-job', jobId: 'switch-2' },
      { event: 'unsubscribe-job', jobId: 'switch-1' },
    ]), { timeout: 5000 });
    expect(server().stats().subscriptions).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('recovers after the connection drops and shows what happened meanwhile', async () => {
    const { show, rows, badge, server, page, pageErrors } = await openPage(major);
    await show({ jobs: ['drop-1'], strict: false, sharedClient: false });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('drop-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows())[0]?.progress).toBe('10'), { timeout: 5000 });

    for (const socket of server().io.sockets.sockets.values()) socket.conn.close();
    await server().update('drop-1', { status: 'running', progress: 60 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ progress: '60', connection: 'connected' }), { timeout: 5000 });
    await server().update('drop-1', { status: 'failed', progress: 60 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'failed', outcome: 'terminal' }), { timeout: 5000 });
    expect(await badge()).toBe('connected');
    expect(await evaluateOnPage(page, (jobPage) => jobPage.badgeHistory)).toContain('reconnecting');
    expect(pageErrors).toEqual([]);
  });

  it('leaves the server with no subscription once every component unmounted, with the client still connected', async () => {
    const { show, rows, server, page, pageErrors } = await openPage(major);
    await show({ jobs: ['many-1', 'many-2', 'many-1'], strict: true, sharedClient: true });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(2), { timeout: 5000 });
    await server().update('many-1', { status: 'running', progress: 30 });
    await vi.waitFor(async () => expect((await rows()).map((row) => row.progress)).toEqual(['30', '', '30']), { timeout: 5000 });

    await evaluateOnPage(page, (jobPage) => jobPage.clear());
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(0), { timeout: 5000 });
    // The provider did not own the shared client, so it is still connected.
    expect(server().stats().connections).toBe(1);
    await evaluateOnPage(page, (jobPage) => jobPage.closeSharedClient());
    await vi.waitFor(() => expect(server().stats().connections).toBe(0), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('closes the client it made when given a client instead, and makes a new one when given options again', async () => {
    const { show, rows, server, page, pageErrors } = await openPage(major);
    const jobs = ['switch-1'];
    await show({ jobs, strict: false, sharedClient: false, autoConnect: true });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });

    // With `autoConnect` the provider's own client stays connected while it has no job to watch; now the application's
    // client takes over: the provider's own connection goes, the row is served by the new client.
    await show({ jobs, strict: false, sharedClient: true, autoConnect: true });
    await server().update('switch-1', { status: 'running', progress: 20 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '20', error: '' }), { timeout: 5000 });
    await vi.waitFor(() => expect(server().stats()).toMatchObject({ connections: 1, subscriptions: 1 }), { timeout: 5000 });

    // Options again: a client of the provider's own, next to the application's one it does not close.
    await show({ jobs, strict: false, sharedClient: false, autoConnect: true });
    await vi.waitFor(() => expect(server().stats()).toMatchObject({ connections: 2, subscriptions: 1 }), { timeout: 5000 });
    await server().update('switch-1', { status: 'running', progress: 60 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '60', error: '' }), { timeout: 5000 });
    // No child effect was handed the closed client in the render that brought the options back.
    expect(await evaluateOnPage(page, (jobPage) => jobPage.clientInEffects)).not.toContain('disconnected/closed');
    expect(pageErrors).toEqual([]);
  });

  it('gives its rows a client of its own when given options after a client', async () => {
    const { show, rows, server, pageErrors } = await openPage(major);
    const jobs = ['switch-2'];
    await show({ jobs, strict: true, sharedClient: true });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await show({ jobs, strict: true, sharedClient: false });
    await vi.waitFor(() => expect(server().stats()).toMatchObject({ connections: 2, subscriptions: 1 }), { timeout: 5000 });
    await server().update('switch-2', { status: 'completed', progress: 100 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'completed', outcome: 'terminal', error: '' }), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('subscribes again when the application calls connect() after the client gave up, and drops the give-up error once connected', async () => {
    const { show, rows, server, page, pageErrors } = await openPage(major);
    let refuse = true;
    server().io.use((_socket, next) => {
      if (!refuse) return next();
      const message = 'this server speaks protocol version 9';
      next(Object.assign(new Error(message), { data: { code: 'UNSUPPORTED_PROTOCOL', message } }));
    });
    // gaveup-1's subscription ends with the give-up; gaveup-2, mounted after it, cannot subscribe at all.
    await show({ jobs: ['gaveup-1'], strict: true, sharedClient: false });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ outcome: 'error', error: 'UNSUPPORTED_PROTOCOL', connection: 'disconnected' }), { timeout: 5000 });
    await show({ jobs: ['gaveup-1', 'gaveup-2'], strict: true, sharedClient: false });
    await vi.waitFor(async () => expect((await rows())[1]).toMatchObject({ outcome: '', error: 'UNSUPPORTED_PROTOCOL' }), { timeout: 5000 });

    refuse = false;
    await evaluateOnPage(page, (jobPage) => jobPage.connect());
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(2), { timeout: 5000 });
    await vi.waitFor(async () => expect((await rows()).map((row) => [row.outcome, row.error, row.connection])).toEqual([['', '', 'connected'], ['', '', 'connected']]), { timeout: 5000 });
    await server().update('gaveup-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '10', error: '' }), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('hydrates a provider given a client that already connected without a mismatch, then shows the live state', async () => {
    const { page, url, pageErrors } = await openPage(major);
    const report = await page.evaluate((serverUrl) => (window as unknown as { jobPage: JobPage }).jobPage.hydrateWithConnectedClient(serverUrl), url);
    expect(report).toEqual({ serverBadge: 'disconnected', errors: [] });
    expect(pageErrors).toEqual([]);
  });
});

describe('with React 19 <Activity> in Chromium', () => {
  type ActivityScene = Pick<Scene, 'jobs'> & { readonly activity: NonNullable<Scene['activity']> };
  const scene = ({ jobs, activity }: ActivityScene) => ({ jobs, activity, strict: false, sharedClient: false });

  it('keeps the outcome of a job that ended when hidden and shown again, without asking the server for it again', async () => {
    // The server forgets a finished job at once: asking again would get no snapshot, and a subscription held for nothing.
    const { show, rows, server, requests, page, pageErrors } = await openPage(19, { sweep: { intervalMs: 100, finishedJobRetentionMs: 0 } });
    const jobs = ['ended-1', 'live-1'];
    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(2), { timeout: 5000 });
    await server().update('ended-1', { status: 'completed', progress: 100 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'completed', outcome: 'terminal' }), { timeout: 5000 });
    await vi.waitFor(async () => expect(await server().getJob('ended-1')).toBeNull(), { timeout: 5000 });

    await show(scene({ jobs, activity: { around: 'rows', mode: 'hidden' } }));
    await vi.waitFor(() => expect(requests).toContainEqual({ event: 'unsubscribe-job', jobId: 'live-1' }), { timeout: 5000 });
    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    // live-1 subscribes again after ended-1's row ran its effects: any subscribe-job of ended-1 would be logged by then.
    await vi.waitFor(() => expect(requests.filter((request) => request.jobId === 'live-1')).toHaveLength(3), { timeout: 5000 });

    expect(requests.filter((request) => request.jobId === 'ended-1')).toEqual([
      { event: 'subscribe-job', jobId: 'ended-1' },
      { event: 'unsubscribe-job', jobId: 'ended-1' },
    ]);
    expect((await rows())[0]).toMatchObject({ status: 'completed', progress: '100', outcome: 'terminal', error: '' });
    // Shown again, the row commits its outcome once more (its effects run again), never the empty view.
    expect(await evaluateOnPage(page, (jobPage) => jobPage.rowHistory['ended-1'])).toEqual(['none||', 'completed|terminal|', 'completed|terminal|']);
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('drops the give-up error of rows shown again after connect() lifted the give-up while they were hidden', async () => {
    const { show, rows, server, page, pageErrors } = await openPage(19);
    let refuse = true;
    server().io.use((_socket, next) => {
      if (!refuse) return next();
      const message = 'this server speaks protocol version 9';
      next(Object.assign(new Error(message), { data: { code: 'UNSUPPORTED_PROTOCOL', message } }));
    });
    const jobs = ['hidden-gaveup-1'];
    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ outcome: 'error', error: 'UNSUPPORTED_PROTOCOL' }), { timeout: 5000 });

    await show(scene({ jobs, activity: { around: 'rows', mode: 'hidden' } }));
    refuse = false;
    await evaluateOnPage(page, (jobPage) => jobPage.connect());
    await vi.waitFor(() => expect(server().stats().connections).toBe(1), { timeout: 5000 });
    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ outcome: '', error: '', connection: 'connected' }), { timeout: 5000 });
    await server().update('hidden-gaveup-1', { status: 'running', progress: 30 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '30', outcome: '', error: '' }), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it('shows a running job that ended and was forgotten while hidden as expired when shown again, not running for ever', async () => {
    const { show, rows, server, requests, pageErrors } = await openPage(19, { sweep: { intervalMs: 100, finishedJobRetentionMs: 0 } });
    const jobs = ['hidden-end-1'];
    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('hidden-end-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '10' }), { timeout: 5000 });

    await show(scene({ jobs, activity: { around: 'rows', mode: 'hidden' } }));
    await vi.waitFor(() => expect(requests).toContainEqual({ event: 'unsubscribe-job', jobId: 'hidden-end-1' }), { timeout: 5000 });
    await server().update('hidden-end-1', { status: 'completed', progress: 100 });
    await vi.waitFor(async () => expect(await server().getJob('hidden-end-1')).toBeNull(), { timeout: 5000 });

    await show(scene({ jobs, activity: { around: 'rows', mode: 'visible' } }));
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '10', outcome: 'expired' }), { timeout: 5000 });
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(0), { timeout: 5000 });
    expect(pageErrors).toEqual([]);
  });

  it("keeps each row's view when <Activity> around the provider is shown again: no empty flash, and an ended job is not asked for again", async () => {
    // The server forgets a finished job at once: asking again would get no snapshot, and a subscription held for nothing.
    const { show, rows, server, requests, page, pageErrors } = await openPage(19, { sweep: { intervalMs: 100, finishedJobRetentionMs: 0 } });
    const jobs = ['kept-ended-1', 'kept-live-1'];
    await show(scene({ jobs, activity: { around: 'provider', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(2), { timeout: 5000 });
    await server().update('kept-ended-1', { status: 'completed', progress: 100 });
    await server().update('kept-live-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows()).map((row) => [row.status, row.outcome])).toEqual([['completed', 'terminal'], ['running', '']]), { timeout: 5000 });
    await vi.waitFor(async () => expect(await server().getJob('kept-ended-1')).toBeNull(), { timeout: 5000 });

    await show(scene({ jobs, activity: { around: 'provider', mode: 'hidden' } }));
    await vi.waitFor(() => expect(server().stats().connections).toBe(0), { timeout: 5000 });
    await show(scene({ jobs, activity: { around: 'provider', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('kept-live-1', { status: 'running', progress: 20 });
    await vi.waitFor(async () => expect((await rows())[1]).toMatchObject({ status: 'running', progress: '20', connection: 'connected' }), { timeout: 5000 });

    expect((await rows())[0]).toMatchObject({ status: 'completed', progress: '100', outcome: 'terminal', error: '' });
    expect(requests.filter((request) => request.jobId === 'kept-ended-1' && request.event === 'subscribe-job')).toHaveLength(1);
    const history = await evaluateOnPage(page, (jobPage) => jobPage.rowHistory);
    for (const jobId of jobs) expect(history[jobId]?.slice(1)).not.toContain('none||');
    expect(pageErrors).toEqual([]);
  });

  it('never shows CLOSED when <Activity> around the provider is shown again: the rows move to the new client', async () => {
    const { show, rows, server, page, pageErrors } = await openPage(19);
    const jobs = ['shown-1'];
    await show(scene({ jobs, activity: { around: 'provider', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await server().update('shown-1', { status: 'running', progress: 10 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '10' }), { timeout: 5000 });

    // Hidden, the provider closes the client it owns; shown again, it makes a new one.
    await show(scene({ jobs, activity: { around: 'provider', mode: 'hidden' } }));
    await vi.waitFor(() => expect(server().stats().connections).toBe(0), { timeout: 5000 });
    await show(scene({ jobs, activity: { around: 'provider', mode: 'visible' } }));
    await vi.waitFor(() => expect(server().stats().subscriptions).toBe(1), { timeout: 5000 });
    await vi.waitFor(async () => expect((await rows())[0]).toMatchObject({ status: 'running', progress: '10', error: '', connection: 'connected' }), { timeout: 5000 });

    const history = await evaluateOnPage(page, (jobPage) => jobPage.rowHistory['shown-1']);
    expect(history?.filter((label) => label.endsWith('|CLOSED'))).toEqual([]);
    // Nor did a child effect get the closed client from useJobClient().
    expect(await evaluateOnPage(page, (jobPage) => jobPage.clientInEffects)).not.toContain('disconnected/closed');
    expect(pageErrors).toEqual([]);
  });
});
