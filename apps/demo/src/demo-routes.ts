import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpHandler, JobServer, MemoryMonitor } from '@org/ws-server';
import type { z } from 'zod';
import { MAX_JOBS_PER_REQUEST, TAB_HEADER, type ApiError, type RestartingSchema, type DemoSettings, type StatsReply } from './api-schemas';
import { SimulatorFullError, type JobSimulator } from './job-simulator';
import { serveStaticFile } from './static-files';
import type { TabConnections } from './tab-connections';

/** What the demo's HTTP endpoints work with. */
export interface DemoRouteContext {
  /** The job server of this node. */
  jobServer: JobServer;
  /** The memory monitor whose history the stats chart draws. */
  monitor: MemoryMonitor;
  /** When the job server started (ms since the epoch), so the page can tell a restarted server from the same one. */
  serverStartedAt: number;
  /** `GET /healthz`. */
  health: HttpHandler;
  /** Simulated workers that `POST /api/jobs` starts. */
  simulator: JobSimulator;
  /** Connections per tab, for `POST /api/drop`. */
  tabs: TabConnections;
  /** Reply of `GET /api/settings`. */
  settings: DemoSettings;
  /** Folder with `index.html`, `styles.css` and `bundle/`. */
  publicDir: string;
  /** Restarts the demo server in-process; without it `POST /api/restart` answers 404. */
  restart?: () => void;
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
};

const sendError = (res: ServerResponse, status: number, code: string, message: string): void => {
  const body: ApiError = { error: { code, message } };
  sendJson(res, status, body);
};

/** Parses `count` of `POST /api/jobs`: 1 when absent, else an integer 1…MAX_JOBS_PER_REQUEST. */
function parseJobCount(raw: string | null): number | undefined {
  if (raw === null) return 1;
  if (!/^\d{1,3}$/.test(raw)) return undefined;
  const count = Number(raw);
  return count >= 1 && count <= MAX_JOBS_PER_REQUEST ? count : undefined;
}

/**
 * The demo's HTTP API and static page. Socket.IO answers `/socket.io/` itself before this handler runs.
 * - `POST /api/jobs?count=N` starts N simulated jobs (201 `{ jobIds }`)
 * - `GET /api/stats` the monitor history; `GET /api/settings` the settings in force
 * - `POST /api/drop` (header `x-demo-tab`) kills that tab's transport; `POST /api/restart` restarts the server
 * - `GET /healthz` the job server's health with the monitor's alerts (503 while shutting down)
 */
export function createDemoRequestHandler(context: DemoRouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL) => void> = {
    'POST /api/jobs': (_req, res, url) => {
      const count = parseJobCount(url.searchParams.get('count'));
      if (count === undefined) {
        sendError(res, 400, 'INVALID_COUNT', `count must be an integer from 1 to ${MAX_JOBS_PER_REQUEST}`);
        return;
      }
      try {
        sendJson(res, 201, { jobIds: context.simulator.start(count) });
      } catch (error) {
        if (!(error instanceof SimulatorFullError)) throw error;
        sendError(res, 429, 'TOO_MANY_JOBS', error.message);
      }
    },
    'GET /api/stats': (_req, res) => {
      const { heartbeatTimeouts, noticesSent, rateLimited } = context.jobServer.counters();
      const reply: StatsReply = {
        serverStartedAt: context.serverStartedAt,
        samples: context.monitor.history().map(({ at, connections, heapUsedBytes, processingJobs, subscriptions, alerts }) => ({
          at,
          connections,
          heapUsedBytes,
          processingJobs,
          subscriptions,
          alerts: [...alerts],
        })),
        activeAlerts: context.monitor.activeAlerts().map(({ name, value, threshold }) => ({ name, value, threshold })),
        counters: { heartbeatTimeouts, noticesSent, rateLimited },
      };
      sendJson(res, 200, reply);
    },
    'GET /api/settings': (_req, res) => sendJson(res, 200, context.settings),
    'POST /api/drop': (req, res) => {
      const tab = req.headers[TAB_HEADER];
      if (typeof tab !== 'string' || tab === '') {
        sendError(res, 400, 'MISSING_TAB', `send the tab id in the ${TAB_HEADER} header`);
        return;
      }
      sendJson(res, 200, { dropped: context.tabs.dropTransport(tab) });
    },
    'POST /api/restart': (_req, res) => {
      const { restart } = context;
      if (!restart) {
        sendError(res, 404, 'NOT_FOUND', 'this server cannot restart itself');
        return;
      }
      const reply: z.infer<typeof RestartingSchema> = { restarting: true };
      sendJson(res, 202, reply);
      res.once('finish', restart);
    },
    'GET /healthz': (req, res) => context.health(req, res),
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes[`${req.method ?? 'GET'} ${url.pathname}`];
    if (route) {
      try {
        route(req, res, url);
      } catch (error) {
        sendError(res, 500, 'INTERNAL', error instanceof Error ? error.message : 'internal error');
      }
      return;
    }
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') {
      const known = Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`));
      sendError(res, known ? 405 : 404, known ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', `${req.method ?? ''} ${url.pathname}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} ${url.pathname}`);
      return;
    }
    serveStaticFile(context.publicDir, url.pathname, res).then(
      (served) => {
        if (!served) sendError(res, 404, 'NOT_FOUND', url.pathname);
      },
      () => sendError(res, 500, 'INTERNAL', 'could not read the file'),
    );
  };
}
