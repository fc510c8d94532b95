import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** One allowed page origin: the exact origin (`'https://app.example.com'`) or a pattern it must match. */
export type AllowedOrigin = string | RegExp;

/** Which other origins may host pages that connect: `createJobServer`'s `cors` option. */
export interface JobServerCorsOptions {
  /** The page origins allowed besides the server's own: one, a list, or `true` for any origin. */
  origin: AllowedOrigin | readonly AllowedOrigin[] | boolean;
  /** Let polling requests carry cookies and HTTP auth (`Access-Control-Allow-Credentials`). @default false */
  credentials?: boolean | undefined;
}

/** Engine.IO's code for a refused request (its `Server.errors.FORBIDDEN`), kept in the body of the 403. */
const ENGINE_FORBIDDEN = 4;

/**
 * Decides which page origins may connect under `cors`, for both transports: browsers apply CORS to polling requests
 * only, so a WebSocket from any page would otherwise be accepted. A request without an `Origin` header (not a browser)
 * and a page on the server's own host are always allowed.
 */
export class OriginPolicy {
  readonly #allowed: readonly AllowedOrigin[] | boolean;

  constructor(cors: JobServerCorsOptions) {
    this.#allowed = typeof cors.origin === 'boolean' || Array.isArray(cors.origin) ? cors.origin : [cors.origin as AllowedOrigin];
  }

  /** The origin of a request this policy refuses, or `undefined` when it may connect. */
  refusedOrigin(headers: IncomingHttpHeaders): string | undefined {
    const { origin, host } = headers;
    if (origin === undefined || this.#allowed === true) return undefined;
    if (host !== undefined && URL.canParse(origin) && new URL(origin).host === host) return undefined;
    if (this.#allowed !== false && this.#allowed.some((allowed) => (typeof allowed === 'string' ? allowed === origin : allowed.test(origin)))) return undefined;
    return origin;
  }

  /**
   * Engine.IO middleware refusing a polling request from a refused origin with a 403 the page can read (it names its
   * origin in `Access-Control-Allow-Origin`, and says nothing else): without it the browser hides the refusal and the
   * client sees only `xhr poll error`. WebSocket upgrades pass; the handshake refuses them with `FORBIDDEN`.
   */
  readonly refusePolling = (request: IncomingMessage, response: ServerResponse, next: (error?: Error) => void): void => {
    const origin = this.refusedOrigin(request.headers);
    if (origin === undefined || request.headers.upgrade !== undefined) {
      next();
      return;
    }
    const message = originRefusal(origin);
    response.writeHead(403, { 'content-type': 'application/json', 'access-control-allow-origin': origin, vary: 'Origin' });
    response.end(JSON.stringify({ code: ENGINE_FORBIDDEN, message }));
    // Engine.IO sees the response sent and only reports the refusal (`connection_error`).
    next(new Error(message));
  };
}

/** What a refused page is told. */
export const originRefusal = (origin: string): string => `this server does not allow pages from ${origin} (see the cors option of createJobServer)`;
