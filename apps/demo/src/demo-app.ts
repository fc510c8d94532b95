import { fileURLToPath } from 'node:url';
import { MemoryJobStore, type JobStore } from '@org/ws-server';
import type { DemoConfig } from './demo-config';
import { startDemoServer, type DemoServer } from './demo-server';
import { createJobSimulator, type JobSimulator } from './job-simulator';

/** Options of {@link createDemoApp}. */
export interface DemoAppOptions {
  /** Settings from flags and environment. */
  config: DemoConfig;
  /** Folder served as the page. @default apps/demo/public */
  publicDir?: string;
  /** Random source of the simulated jobs. @default Math.random */
  random?: () => number;
}

/** How long `POST /api/restart` keeps the port closed, so the page visibly reconnects. */
export const RESTART_DOWNTIME_MS = 1000;

/**
 * The demo: a job store and simulated workers that outlive the server, as Redis and real workers outlive
 * a restarted process, plus the server currently running (none between `stop` and `start`).
 */
export interface DemoApp {
  /** The running server, if any. */
  readonly server: DemoServer | undefined;
  /** The job store every server of this app uses. */
  readonly store: JobStore;
  /** The simulated workers. */
  readonly simulator: JobSimulator;
  /** Starts a server (on the port the first one bound, once there was one). */
  start(): Promise<DemoServer>;
  /** Gracefully stops the running server; jobs keep retrying their next update until a server is back. */
  stop(): Promise<void>;
  /** `stop`, wait `downtimeMs`, `start`. */
  restart(downtimeMs?: number): Promise<DemoServer>;
  /** Stops the server and the workers and empties the store. Idempotent. */
  close(): Promise<void>;
}

/** Creates the demo; nothing listens before `start()`. */
export function createDemoApp(options: DemoAppOptions): DemoApp {
  // Given in options, the store belongs to the app: a closing job server leaves it open, so jobs survive a restart.
  const store = new MemoryJobStore();
  const publicDir = options.publicDir ?? fileURLToPath(new URL('../public', import.meta.url));
  let server: DemoServer | undefined;
  let port = options.config.port;
  let closed = false;
  let restarting: Promise<DemoServer> | undefined;
  /** The pause of a restart in progress, ended early by `close()`. */
  let downtime: { timer: ReturnType<typeof setTimeout>; end: () => void } | undefined;

  const simulator = createJobSimulator({
    ...options.config.jobs,
    ...(options.random ? { random: options.random } : {}),
    publish: (jobId, input) => (server ? server.jobServer.update(jobId, input) : Promise.reject(new Error('no demo server is running'))),
  });

  const app: DemoApp = {
    get server() {
      return server;
    },
    store,
    simulator,
    async start() {
      if (closed) throw new Error('the demo app is closed');
      if (server) return server;
      const started = await startDemoServer({
        config: { ...options.config, port },
        store,
        simulator,
        publicDir,
        restart: () => {
          restarting ??= app.restart().finally(() => {
            restarting = undefined;
          });
          restarting.catch((error: unknown) => {
            if (!closed) console.error('demo: restart failed', error);
          });
        },
      });
      port = started.port;
      server = started;
      return started;
    },
    async stop() {
      const running = server;
      server = undefined;
      await running?.close();
    },
    async restart(downtimeMs = RESTART_DOWNTIME_MS) {
      await app.stop();
      await new Promise<void>((resolve) => {
        const end = (): void => {
          clearTimeout(timer);
          downtime = undefined;
          resolve();
        };
        const timer = setTimeout(end, downtimeMs);
        downtime = { timer, end };
      });
      return app.start();
    },
    async close() {
      if (closed) return;
      closed = true;
      downtime?.end();
      simulator.close();
      await app.stop();
      await store.close();
    },
  };
  return app;
}
