import { JobServerOptionsError } from '../errors';
import type { JobServer } from '../job-server-api';
import type { MemoryMonitor } from '../monitor/memory-monitor';
import type { PromRegistryLike } from './prometheus-metrics';

/** What the handlers read from a request: node:http `IncomingMessage`, Express `req`, Fastify `request.raw`. */
export interface HttpRequestLike {
  /** HTTP method. */
  readonly method?: string | undefined;
}

/** What the handlers write to: node:http `ServerResponse`, Express `res`, Fastify `reply.raw`. */
export interface HttpResponseLike {
  /** Status code to send. */
  statusCode: number;
  /** Sets one header. */
  setHeader(name: string, value: string): unknown;
  /** Sends the body and ends the response. */
  end(body?: string): unknown;
}

/** A request handler with the node:http signature, which Express accepts as it is. */
export type HttpHandler = (req: HttpRequestLike, res: HttpResponseLike) => void;

/** What the Fastify adapter reads from Fastify's `request`. */
export interface FastifyRequestLike {
  /** The node:http request. */
  readonly raw: HttpRequestLike;
}

/** What the Fastify adapter uses of Fastify's `reply`. */
export interface FastifyReplyLike {
  /** The node:http response. */
  readonly raw: HttpResponseLike;
  /** Tells Fastify that the handler answers on `raw` itself. */
  hijack(): unknown;
}

/** Options of `createHealthHandler`. */
export interface HealthHandlerOptions {
  /** Adds the monitor's alerts in force, with their numbers, to the body. */
  monitor?: MemoryMonitor | undefined;
  /** Status code while `degraded` (200 keeps a load balancer sending traffic; 503 takes the instance out). @default 200 */
  degradedStatusCode?: number | undefined;
}

const ALLOWED_METHODS = 'GET, HEAD';

/** Answers 405 for anything but GET and HEAD; returns whether the request may go on. */
function allowRead(req: HttpRequestLike, res: HttpResponseLike): boolean {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return true;
  res.statusCode = 405;
  res.setHeader('Allow', ALLOWED_METHODS);
  res.end();
  return false;
}

function send(req: HttpRequestLike, res: HttpResponseLike, statusCode: number, contentType: string, body: string): void {
  res.statusCode = statusCode;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * A `/healthz` handler: JSON of `server.health()` (plus `alerts` with a monitor), status 200 while `ok`,
 * `degradedStatusCode` while `degraded`, 503 once `shutting-down`.
 * @example
 * app.get('/healthz', createHealthHandler(server, { monitor })); // Express; node:http: call it from your request listener
 */
export function createHealthHandler(server: Pick<JobServer, 'health'>, options: HealthHandlerOptions = {}): HttpHandler {
  const degradedStatusCode = options.degradedStatusCode ?? 200;
  // Checked here: node:http throws on a status it cannot send, and that would surface only once the server is degraded.
  if (!Number.isInteger(degradedStatusCode) || degradedStatusCode < 200 || degradedStatusCode > 599) {
    throw new JobServerOptionsError('degradedStatusCode', `must be a whole HTTP status from 200 to 599, got ${String(degradedStatusCode)}`);
  }
  if (options.monitor !== undefined && typeof options.monitor?.activeAlerts !== 'function') {
    throw new JobServerOptionsError('monitor', 'must be a MemoryMonitor (from createMemoryMonitor)');
  }
  return (req, res) => {
    if (!allowRead(req, res)) return;
    const health = server.health();
    const body = options.monitor ? { ...health, alerts: options.monitor.activeAlerts() } : health;
    const statusCode = health.status === 'shutting-down' ? 503 : health.status === 'degraded' ? degradedStatusCode : 200;
    send(req, res, statusCode, 'application/json; charset=utf-8', JSON.stringify(body));
  };
}

/**
 * A `/metrics` handler that answers a prom-client registry's text exposition (500 when collecting fails).
 * @example
 * app.get('/metrics', createMetricsHandler(registry));
 */
export function createMetricsHandler(registry: PromRegistryLike): HttpHandler {
  return (req, res) => {
    if (!allowRead(req, res)) return;
    registry.metrics().then(
      (text) => send(req, res, 200, registry.contentType, text),
      () => send(req, res, 500, 'text/plain; charset=utf-8', 'metrics could not be collected\n'),
    );
  };
}

/**
 * Adapts a handler to a Fastify route: hijacks the reply and answers on the raw node:http objects.
 * @example
 * fastify.get('/healthz', toFastifyHandler(createHealthHandler(server)));
 */
export function toFastifyHandler(handler: HttpHandler): (request: FastifyRequestLike, reply: FastifyReplyLike) => void {
  return (request, reply) => {
    reply.hijack();
    handler(request.raw, reply.raw);
  };
}
