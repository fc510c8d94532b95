// Through the package name, not a relative path: the testing entry then shares the main entry's
// createJobServer (and its error classes) instead of bundling a second copy of the server.
import type { JobDataMap } from '@org/ws-protocol';
import { createJobServer, type JobServer, type JobServerOptions } from '@org/ws-server';

/**
 * Timings `startTestJobServer` uses unless given others: short enough that a test sees cleanup within
 * a fraction of a second, long enough that a busy CI machine never drops a healthy client.
 */
export const TEST_JOB_SERVER_DEFAULTS = {
  heartbeat: { intervalMs: 2000, timeoutMs: 2000 },
  session: { noticeGraceMs: 1000 },
  /** Finished jobs nobody watches go at the next sweep, so `expectNoLeaks` sees the job registry drain. */
  sweep: { intervalMs: 100, finishedJobRetentionMs: 0 },
  /** Every test client comes from 127.0.0.1. */
  limits: { maxConnectionsPerIp: 10_000 },
  shutdown: { timeoutMs: 1000, retryWindowMs: 100 },
} as const;

/** A job server listening on 127.0.0.1, closed by `await using`; `Map` types its jobs' `data` as `createJobServer<Map>` does. */
export interface TestJobServer<Map extends object = JobDataMap> extends JobServer<Map> {
  /** The ephemeral port it listens on. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for clients. */
  readonly url: string;
}

/** `options` over `TEST_JOB_SERVER_DEFAULTS`, group by group (a given `sweep.intervalMs` keeps the test retention). */
function withTestDefaults(options: JobServerOptions): JobServerOptions {
  const d = TEST_JOB_SERVER_DEFAULTS;
  return {
    ...options,
    heartbeat: { ...d.heartbeat, ...options.heartbeat },
    session: { ...d.session, ...options.session },
    sweep: { ...d.sweep, ...options.sweep },
    limits: { ...d.limits, ...options.limits },
    shutdown: { ...d.shutdown, ...options.shutdown },
  };
}

/**
 * Starts a job server on an ephemeral port of 127.0.0.1 with `TEST_JOB_SERVER_DEFAULTS` under `options`.
 * @throws JobServerOptionsError when an option is invalid.
 * @example
 * await using server = await startTestJobServer({ authorizeSubscribe: myHook });
 * // … connect clients to server.url, publish with server.update() …
 * await expectNoLeaks(server);
 */
export async function startTestJobServer<Map extends object = JobDataMap>(options: JobServerOptions = {}): Promise<TestJobServer<Map>> {
  const server = createJobServer<Map>(withTestDefaults(options));
  let port: number;
  try {
    port = await server.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await server.close({ timeoutMs: 0 });
    throw error;
  }
  return Object.assign(server, { port, url: `http://127.0.0.1:${port}` });
}
