import { createServer, type RequestListener } from 'node:http';
import {
  createHealthHandler,
  createJobServer,
  createMemoryMonitor,
  JOB_SERVER_DEFAULTS,
  type JobServer,
  type JobServerRedisOptions,
  type JobStore,
} from '@org/ws-server';
import type { DemoSettings } from './api-schemas';
import { jobServerOptionsOf, type DemoConfig } from './demo-config';
import { createDemoRequestHandler } from './demo-routes';
import type { JobSimulator } from './job-simulator';
import { authenticateTab, trackTabConnections } from './tab-connections';

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** Port, host, lifecycle and monitor settings. */
  config: DemoConfig;
  /** Where jobs live; shared by every server of the demo so that jobs survive a restart. Not with `redis`. */
  store?: JobStore;
  /** Multi-node mode: the Redis shared by every node (jobs, fan-out, per-IP counts). */
  redis?: JobServerRedisOptions;
  /** Multi-node mode: every node's port, so that the page can fail over to the others. */
  nodePorts?: number[];
  /** Simulated workers started by `POST /api/jobs`. */
  simulator: JobSimulator;
  /** Folder served as the page. */
  publicDir: string;
  /** Backs `POST /api/restart`. */
  restart?: () => void;
}

/** One running demo node: HTTP page and API plus a job server on the same port. */
export interface DemoServer {
  /** The page's address, e.g. `http://localhost:3000`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The job server (public `@org/ws-server` API). */
  readonly jobServer: JobServer;
  /** Graceful stop: `shutdown` notices, then the HTTP server closes and frees the port. Idempotent. */
  close(): Promise<void>;
}

/** The settings in force, defaults included, as `GET /api/settings` reports them. */
function settingsOf(config: DemoConfig): DemoSettings {
  const d = JOB_SERVER_DEFAULTS;
  const s = config.server;
  return {
    heartbeat: { ...d.heartbeat, ...s.heartbeat },
    session: { ...d.session, ...s.session },
    sweep: { intervalMs: s.sweep.intervalMs ?? d.sweep.intervalMs },
    rateLimit: { ...d.limits.rateLimit, ...s.rateLimit },
    shutdown: { ...d.shutdown, ...s.shutdown },
    jobs: config.jobs,
    monitor: { intervalMs: config.monitor.intervalMs, historySize: config.monitor.historySize },
  };
}

/**
 * Starts one demo node on `config.host:config.port`: the static page, the JSON API and a job server
 * that uses the given store. A later multi-node mode starts several of these on one shared store.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const { config } = options;
  // Socket.IO must see requests first (it passes others on), so the handler is bound before the job server attaches.
  let handle: RequestListener = (_req, res) => res.writeHead(503).end();
  const httpServer = createServer((req, res) => handle(req, res));
  const jobServer = createJobServer({
    ...jobServerOptionsOf(config),
    httpServer,
    authenticate: authenticateTab,
    // Several nodes: the page of one node connects to the others when its node goes away, hence CORS.
    ...(options.redis ? { redis: options.redis, cors: { origin: true } } : { store: options.store }),
  });
  const tabs = trackTabConnections(jobServer);
  const { intervalMs, historySize, maxProcessingJobs, heapGrowthRatio } = config.monitor;
  // The heap baseline is measured a second after start, when the process holds a few MB: 1.5× of it (the monitor's
  // default) is reached in ordinary use of the page, and the `heap` alert would shed load (refuse new tabs with OVERLOADED).
  const alerts = { maxProcessingJobs, heapGrowthRatio };
  const monitor = createMemoryMonitor({ server: jobServer, intervalMs, historySize, alerts });
  handle = createDemoRequestHandler({
    jobServer,
    monitor,
    serverStartedAt: Date.now(),
    health: createHealthHandler(jobServer, { monitor }),
    simulator: options.simulator,
    tabs,
    settings: options.nodePorts ? { ...settingsOf(config), nodePorts: options.nodePorts } : settingsOf(config),
    publicDir: options.publicDir,
    ...(options.restart ? { restart: options.restart } : {}),
  });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    monitor.close();
    await jobServer.close();
    tabs.close();
    // Keep-alive page requests would hold the port open; the job server already said goodbye.
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };

  let port: number;
  try {
    port = await jobServer.listen({ port: config.port, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  const shownHost = config.host === '127.0.0.1' || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    jobServer,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
