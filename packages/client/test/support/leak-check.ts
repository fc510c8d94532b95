import type { JobServer } from '@org/ws-server';
import { afterEach, beforeEach, expect, vi } from 'vitest';

/**
 * Registries a running server legitimately keeps once every client left: the jobs in its store and its own
 * timers. Every other entry of `stats()` (connections, per-IP counts, subscriptions, rate-limit records,
 * awaited acknowledgements, whatever they are named) is about clients and must drain to zero.
 */
const KEPT_WITHOUT_CLIENTS = new Set(['jobs', 'timers']);

/** The non-zero entries of a server's `stats()`, optionally ignoring some keys; `{}` when clean. */
function leftovers(server: JobServer, ignore: ReadonlySet<string> = new Set()): Record<string, number> {
  return Object.fromEntries(Object.entries(server.stats()).filter(([key, value]) => !ignore.has(key) && value !== 0));
}

/** Waits until none of `servers` holds anything for a client (every connection, transport and IP slot gone); bounded. */
async function noClientsLeft(servers: readonly JobServer[], timeoutMs: number): Promise<void> {
  await vi.waitFor(() => {
    for (const server of servers) expect(leftovers(server, KEPT_WITHOUT_CLIENTS)).toEqual({});
  }, { timeout: timeoutMs, interval: 20 });
}

/**
 * Waits (up to 5 s) until `server` holds nothing for any client. A page must wait for this before it closes: a
 * client's Socket.IO goodbye may arrive before its Engine.IO one (over long-polling they travel in two requests), and
 * a transport whose goodbye the closing page dropped stays until the server's handshake deadline.
 */
export function clientsGone(server: JobServer): Promise<void> {
  return noClientsLeft([server], 5000);
}

type Teardown = () => Promise<unknown> | unknown;

const servers: JobServer[] = [];
/** Run first, before servers close: clients, raw sockets, extra servers. */
const early: Teardown[] = [];
/** Run after servers closed: shared stores. */
const late: Teardown[] = [];

/** Registers a job server to close and check after the test. */
export function trackServer(server: JobServer): void {
  servers.push(server);
}

/** Registers something to close before the servers (clients, sockets). */
export function trackClosable(close: Teardown): void {
  early.push(close);
}

/** Registers something to tear down after the servers closed (shared stores). */
export function trackTeardown(teardown: Teardown): void {
  late.push(teardown);
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** Polls on `setImmediate` (which adds no timer itself) until closing sockets dropped their timers; bounded to 2 s. */
async function settledTimers(baseline: number): Promise<number> {
  const deadline = Date.now() + 2000;
  while (activeTimers() > baseline && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return activeTimers();
}

/**
 * After every test: close clients; wait until every still-running server released what it held for them
 * (so a client leaking a server subscription fails here, before `close()` would empty it anyway); then
 * close servers and shared stores; every server's registries must be zero and no timer may be left beyond
 * those active before the test.
 */
export function installLeakCheck(): void {
  let baseline = 0;
  beforeEach(() => {
    baseline = activeTimers();
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const close of early.splice(0).reverse()) await close();
    const closing = servers.splice(0);
    await noClientsLeft(closing, 3000);
    await Promise.all(closing.map((server) => server.close({ timeoutMs: 500 })));
    for (const teardown of late.splice(0)) await teardown();
    for (const server of closing) expect(leftovers(server)).toEqual({});
    expect(await settledTimers(baseline)).toBeLessThanOrEqual(baseline);
  });
}
