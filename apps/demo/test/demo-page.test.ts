import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sourceAliases } from '../../../vitest.shared';
import { buildPage } from '../build.mjs';
import type { DemoApp } from '../src/demo-app';
import { TROUBLE_VISIBLE_MS } from '../src/page/connection-badge';
import { launchChromium } from '../../../test/support/chromium';
import { buildDemoEntry, spawnDemo, type DemoProcess } from './support/demo-process';
import { startTestDemo, testDemoConfig, type TestDemoOverrides } from './support/demo-resource';

const OUTPUT_DIR = fileURLToPath(new URL('../test-output/', import.meta.url));
const TERMINAL = ['completed', 'failed'];

interface RowState {
  jobId: string;
  status: string;
  seq: number;
  /** Every `seq` the row received, in order (`data-seqs`). */
  seqs: number[];
}

let browser: Browser;
let app: DemoApp | undefined;
let page: Page | undefined;
/** Demo processes a test spawned; killed after it. */
let processes: DemoProcess[] = [];
/** Uncaught errors of the page; every test ends with none. */
let pageErrors: string[] = [];

beforeAll(async () => {
  // The page is bundled from the workspace sources, so the test needs no prior package build.
  await Promise.all([buildPage({ alias: sourceAliases }), buildDemoEntry(), mkdir(OUTPUT_DIR, { recursive: true })]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await page?.close();
  page = undefined;
  await Promise.all(processes.map((demo) => demo.stop('SIGKILL')));
  processes = [];
  const errors = pageErrors;
  pageErrors = [];
  const last = app?.server?.jobServer;
  await app?.close();
  app = undefined;
  // Everything the server tracked (every registry `stats()` lists) is released once the demo is closed.
  if (last) {
    const stats = last.stats();
    expect(stats).toMatchObject({ connections: 0, jobs: 0, subscriptions: 0, timers: 0 });
    expect(stats).toEqual(Object.fromEntries(Object.keys(stats).map((key) => [key, 0])));
  }
  expect(errors).toEqual([]);
});

async function openDemo(overrides?: TestDemoOverrides): Promise<Page> {
  const started = await startTestDemo(overrides);
  app = started.app;
  // Reduced motion: bars jump to their width, so screenshots show the real progress.
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(started.url);
  await page.waitForSelector('#connection[data-state="connected"]', { timeout: 10_000 });
  return page;
}

const rows = (current: Page): Promise<RowState[]> =>
  current.$$eval('.job', (elements) =>
    elements.map((element) => ({
      jobId: (element as HTMLElement).dataset.jobId ?? '',
      status: (element as HTMLElement).dataset.status ?? '',
      seq: Number((element as HTMLElement).dataset.seq ?? 0),
      seqs: ((element as HTMLElement).dataset.seqs ?? '').split(' ').filter(Boolean).map(Number),
    })),
  );

/** `first`, `first + 1`, …, `last`. */
const range = (first: number, last: number): number[] => Array.from({ length: last - first + 1 }, (_, index) => first + index);

/**
 * Every row received each `seq` from its first one (the snapshot, usually 1, later when the page subscribed
 * after a step on a loaded machine) to its last, once and in order: no update was lost in between, which
 * comparing only the final status and `seq` with the server would not notice.
 */
async function expectEverySeqDelivered(current: Page, jobIds?: readonly string[]): Promise<void> {
  const shown = (await rows(current)).filter((row) => !jobIds || jobIds.includes(row.jobId));
  expect(shown.length).toBeGreaterThan(0);
  expect(shown.map(({ jobId, seqs }) => ({ jobId, seqs }))).toEqual(shown.map(({ jobId, seq, seqs }) => ({ jobId, seqs: range(seqs[0] ?? 1, seq) })));
}

/** Waits until `count` rows show a terminal status. */
const allTerminal = (current: Page, count: number): Promise<unknown> =>
  current.waitForFunction(
    ({ count, terminal }) => {
      const statuses = [...document.querySelectorAll<HTMLElement>('.job')].map((row) => row.dataset.status ?? '');
      return statuses.length === count && statuses.every((status) => terminal.includes(status));
    },
    { count, terminal: TERMINAL },
    { timeout: 20_000 },
  );

/** Every row shows exactly the server's final snapshot: same terminal status, same `seq` (no update lost). */
async function expectRowsMatchServer(current: Page, demo: DemoApp): Promise<RowState[]> {
  const shown = await rows(current);
  const server = demo.server?.jobServer;
  if (!server) throw new Error('no demo server is running');
  const snapshots = await Promise.all(shown.map((row) => server.getJob(row.jobId)));
  expect(shown.map(({ jobId, status, seq }) => ({ jobId, status, seq }))).toEqual(
    snapshots.map((snapshot, index) => ({ jobId: shown[index]?.jobId, status: snapshot?.status, seq: snapshot?.seq })),
  );
  return shown;
}

/** Waits until the jobs are under way: one is running and at least half have not finished. */
const someRunning = (current: Page): Promise<unknown> =>
  current.waitForFunction(
    () => {
      const statuses = [...document.querySelectorAll<HTMLElement>('.job')].map((row) => row.dataset.status ?? '');
      const open = statuses.filter((status) => !['completed', 'failed'].includes(status));
      return statuses.includes('running') && open.length * 2 >= statuses.length;
    },
    undefined,
    { timeout: 10_000 },
  );

describe('demo page in Chromium', () => {
  it('shows ten started jobs live until each reaches the terminal status the server holds', async () => {
    const current = await openDemo({ jobs: { stepMs: 150 } });
    const { maxProcessingJobs } = testDemoConfig().monitor;
    expect(maxProcessingJobs).toBeLessThan(10);
    await current.waitForSelector('.alerts[data-active="false"]', { state: 'attached', timeout: 5000 });
    await current.click('#start-10');
    // Ten unfinished jobs exceed the demo's processing-jobs threshold: the panel lists the alert and shades the samples.
    const alertLine = await current.waitForFunction(
      () => {
        const alerts = document.querySelector<HTMLElement>('.alerts');
        return alerts?.dataset.active === 'true' && alerts.textContent;
      },
      undefined,
      { timeout: 10_000 },
    );
    expect(await alertLine.jsonValue()).toMatch(new RegExp(`^Alert: .*processing-jobs \\d+ > ${maxProcessingJobs}`));
    await current.waitForSelector('.stat svg .alert-band', { state: 'attached', timeout: 5000 });
    await current.waitForFunction(
      () => {
        const statuses = [...document.querySelectorAll<HTMLElement>('.job')].map((row) => row.dataset.status);
        return statuses.length === 10 && statuses.includes('running') && statuses.includes('completed');
      },
      undefined,
      { timeout: 10_000 },
    );
    await current.screenshot({ path: `${OUTPUT_DIR}demo-1280-running.png`, fullPage: true });
    await allTerminal(current, 10);
    const shown = await expectRowsMatchServer(current, app!);
    await expectEverySeqDelivered(current);
    const statuses = new Set(shown.map((row) => row.status));
    expect(statuses).toEqual(new Set(['completed', 'failed']));
    // The stats panel draws the monitor history.
    await current.waitForFunction(() => document.querySelectorAll('.stat polyline').length === 4, undefined, { timeout: 5000 });

    await current.screenshot({ path: `${OUTPUT_DIR}demo-1280.png`, fullPage: true });
    await current.setViewportSize({ width: 390, height: 844 });
    // Phone width: everything wraps, nothing scrolls sideways.
    expect(await current.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await current.screenshot({ path: `${OUTPUT_DIR}demo-390.png`, fullPage: true });
  });

  it('a job id the client refuses to watch fails its own row, and the other started jobs are still watched', async () => {
    const current = await openDemo({ jobs: { stepMs: 100, steps: 4 } });
    // The server's reply gains an id subscribe() throws for, first in the list, so every id after it depends on the throw being handled.
    await current.route('**/api/jobs?count=*', async (route) => {
      const response = await route.fetch();
      const { jobIds } = (await response.json()) as { jobIds: string[] };
      await route.fulfill({ response, json: { jobIds: ['not a job id', ...jobIds] } });
    });
    await current.click('#start-10');
    await current.waitForSelector('.job[data-job-id="not a job id"][data-status="error"]', { timeout: 10_000 });
    expect(await current.textContent('.job[data-job-id="not a job id"] .job-detail')).toMatch(/^INVALID_PAYLOAD: /);
    expect(await current.textContent('#log')).toContain('Cannot watch not a job id: INVALID_PAYLOAD');
    await current.waitForFunction(
      ({ terminal }) => {
        const statuses = [...document.querySelectorAll<HTMLElement>('.job:not([data-status="error"])')].map((row) => row.dataset.status ?? '');
        return statuses.length === 10 && statuses.every((status) => terminal.includes(status));
      },
      { terminal: TERMINAL },
      { timeout: 20_000 },
    );
    expect(await current.textContent('#log')).toContain('Started 11 jobs');
  });

  it('recovers from a dropped transport mid-job without losing an update', async () => {
    const current = await openDemo({ jobs: { stepMs: 200, steps: 8 } });
    await current.click('#start-10');
    await someRunning(current);
    // Every state the badge shows, with when it began.
    await current.evaluate(() => {
      const badge = document.querySelector<HTMLElement>('#connection')!;
      const shown: [string, number][] = [];
      Object.assign(window, { badgeStates: shown });
      new MutationObserver(() => shown.push([badge.dataset.state ?? '', performance.now()])).observe(badge, { attributes: true, attributeFilter: ['data-state'] });
    });
    await current.click('#drop');
    await current.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5000 });
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 10_000 });
    // The reconnect takes milliseconds on 127.0.0.1; the badge still shows the lost connection long enough to be seen.
    const states = await current.evaluate(() => (window as unknown as { badgeStates: [string, number][] }).badgeStates);
    const lost = states.findIndex(([state]) => state === 'reconnecting');
    const back = states.findIndex(([state], index) => index > lost && state === 'connected');
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(states[back]![1] - states[lost]![1]).toBeGreaterThanOrEqual(TROUBLE_VISIBLE_MS - 20);
    await allTerminal(current, 10);
    await expectRowsMatchServer(current, app!);
    await expectEverySeqDelivered(current);
    const log = await current.textContent('#log');
    expect(log).toContain('Connection lost (connection-lost)');
    expect(log).toContain('Reconnected; open jobs resubscribed with their lastSeq');
  });

  it('Restart server: the badge says the server is restarting, the log shows no error, and the chart keeps its history', async () => {
    const current = await openDemo({ jobs: { stepMs: 200, steps: 8 } });
    // A few samples of the first server's monitor (one every 200 ms) before the restart.
    await current.waitForFunction(() => (document.querySelector('.stat polyline')?.getAttribute('points') ?? '').split(' ').length >= 5, undefined, { timeout: 10_000 });
    await current.click('#start-10');
    await someRunning(current);
    await current.click('#restart');
    await current.waitForFunction(() => document.querySelector('#connection strong')?.textContent === 'Server restarting', undefined, { timeout: 5000 });
    expect(await current.textContent('#connection small')).toMatch(/^reconnecting…/);
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 15_000 });
    await allTerminal(current, 10);
    await expectRowsMatchServer(current, app!);
    await expectEverySeqDelivered(current);

    const log = await current.textContent('#log');
    expect(log).toContain('Server notice "shutdown"');
    expect(log).toContain('Server restarting, reconnecting…');
    expect(log).toContain('Reconnected after the server restart');
    // The expected reconnect is not an error: no red line.
    expect(await current.$$eval('#log li[data-kind="bad"]', (lines) => lines.map((line) => line.textContent))).toEqual([]);

    // The chart keeps the samples of the server before the restart and marks where it restarted.
    await current.waitForSelector('.stat svg .restart-mark', { state: 'attached', timeout: 5000 });
    expect(await current.textContent('.restarts')).toMatch(/^Server restarted at \d{2}:\d{2}:\d{2}/);
    const drawn = await current.$eval('.stat polyline', (line) => (line.getAttribute('points') ?? '').split(' ').length);
    const { samples } = (await (await fetch(`http://127.0.0.1:${app!.server!.port}/api/stats`)).json()) as { samples: unknown[] };
    expect(drawn).toBeGreaterThan(samples.length);
  });

  it('recovers when the demo server stops mid-job and starts again on the same port', async () => {
    const current = await openDemo({ jobs: { stepMs: 200, steps: 8 } });
    await current.click('#start-10');
    await someRunning(current);
    const port = app!.server!.port;
    await app!.stop();
    await current.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5000 });
    const restarted = await app!.start();
    expect(restarted.port).toBe(port);
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 15_000 });
    await allTerminal(current, 10);
    await expectRowsMatchServer(current, app!);
    await expectEverySeqDelivered(current);
    expect(await current.textContent('#log')).toContain('Server notice "shutdown"');
  });

  it('after the demo process is killed and a new one starts on the port, the page reconnects, runs new jobs and shows the lost ones as expired', async () => {
    const jobArgs = ['--step-ms', '300', '--steps', '8', '--failure-rate', '0.3', '--shutdown-timeout', '1000'];
    const first = await spawnDemo(['--port', '0', ...jobArgs]);
    processes.push(first);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const current = page;
    await current.goto(`http://127.0.0.1:${first.port}`);
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 10_000 });
    await current.click('#start-10');
    await someRunning(current);

    // No shutdown notice, no graceful close: the in-memory store and its jobs are gone with the process.
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const before = await rows(current);
    const inFlight = before.filter((row) => !TERMINAL.includes(row.status)).map((row) => row.jobId);
    expect(inFlight.length).toBeGreaterThan(0);
    await current.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5000 });

    const second = await spawnDemo(['--port', String(first.port), ...jobArgs]);
    processes.push(second);
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 15_000 });
    // The new server does not know the old jobs: their watch ends with JOB_EXPIRED instead of waiting forever.
    await current.waitForFunction(
      (ids) => ids.every((id) => document.querySelector<HTMLElement>(`.job[data-job-id="${id}"]`)?.dataset.status === 'expired'),
      inFlight,
      { timeout: 10_000 },
    );
    const expiredDetail = await current.textContent(`.job[data-job-id="${inFlight[0]}"] .job-detail`);
    // The row says why (the client's message) instead of the progress it had reached.
    expect(expiredDetail).toMatch(/\S/);
    expect(expiredDetail).not.toMatch(/^\d+ %/);

    await current.click('#start-10');
    await current.waitForFunction((count) => document.querySelectorAll('.job').length === count, before.length + 10, { timeout: 10_000 });
    const fresh = (await rows(current)).map((row) => row.jobId).filter((jobId) => !before.some((row) => row.jobId === jobId));
    expect(fresh).toHaveLength(10);
    await current.waitForFunction(
      ({ ids, terminal }) => ids.every((id) => terminal.includes(document.querySelector<HTMLElement>(`.job[data-job-id="${id}"]`)?.dataset.status ?? '')),
      { ids: fresh, terminal: TERMINAL },
      { timeout: 20_000 },
    );
    await expectEverySeqDelivered(current, fresh);
    // Rows that had finished before the kill keep their final status.
    for (const row of before.filter((row) => TERMINAL.includes(row.status))) {
      expect(await current.getAttribute(`.job[data-job-id="${row.jobId}"]`, 'data-status')).toBe(row.status);
    }
    await current.screenshot({ path: `${OUTPUT_DIR}demo-1280-after-process-restart.png`, fullPage: true });
    expect(await second.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('a frozen tab misses a heartbeat, is dropped by the server, and catches up on every job', async () => {
    const current = await openDemo({ jobs: { stepMs: 200, steps: 8 }, server: { heartbeat: { intervalMs: 500, timeoutMs: 300 } } });
    await current.click('#start-10');
    await someRunning(current);
    await current.click('#freeze');
    await current.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('Tab unfrozen'), undefined, { timeout: 10_000 });
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 10_000 });
    await allTerminal(current, 10);
    await expectRowsMatchServer(current, app!);
    expect(app!.server!.jobServer.counters().heartbeatTimeouts).toBeGreaterThanOrEqual(1);
  });

  it('a flooding connection is rate-limited and dropped while the page keeps its own connection and jobs', async () => {
    const current = await openDemo({ jobs: { stepMs: 200, steps: 8 } });
    await current.click('#start-10');
    await someRunning(current);
    await current.click('#flood');
    await current.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('requests were refused with RATE_LIMITED'), undefined, {
      timeout: 10_000,
    });
    expect(await current.textContent('#log')).toContain('Server notice "rate-limited" to the flooding connection');
    expect(await current.getAttribute('#connection', 'data-state')).toBe('connected');
    await allTerminal(current, 10);
    await expectRowsMatchServer(current, app!);
    expect(app!.server!.jobServer.counters().rateLimited).toBeGreaterThan(0);
  });

  it('an idle tab gets the idle notice, shows it, and reconnects for the next job', async () => {
    const current = await openDemo({ server: { session: { idleTimeoutMs: 1000 }, sweep: { intervalMs: 200 } } });
    await current.waitForSelector('#connection[data-state="disconnected"][data-reason="idle"]', { timeout: 10_000 });
    expect(await current.textContent('#log')).toContain('Server notice "idle"');
    await current.click('#start-1');
    await current.waitForSelector('#connection[data-state="connected"]', { timeout: 10_000 });
    await allTerminal(current, 1);
    await expectRowsMatchServer(current, app!);
  });
});
