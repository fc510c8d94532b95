/** What engine.io-client's polling transport reports when an HTTP request fails. */
interface PollingFailure {
  type: 'TransportError';
  /** The HTTP status (0 when the browser hid the response, e.g. for want of CORS headers). */
  description: unknown;
  /** The XMLHttpRequest (or fetch `Response`), while the error is being reported. */
  context: unknown;
}

const isPollingFailure = (error: Error): error is Error & PollingFailure => (error as Partial<PollingFailure>).type === 'TransportError';

/** The server's reason when it refused the transport with HTTP 403 (e.g. the page's origin under `cors`), else `undefined`. */
export function transportRefusal(error: Error): string | undefined {
  if (!isPollingFailure(error) || error.description !== 403) return undefined;
  const body = (error.context as { responseText?: unknown } | undefined)?.responseText;
  try {
    const message = typeof body === 'string' ? (JSON.parse(body) as { message?: unknown }).message : undefined;
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not Engine.IO's JSON (a proxy's page): fall through to the generic reason.
  }
  return 'HTTP 403';
}

/**
 * A hint for a page whose polling request got no readable answer from a server on another origin: the browser hides
 * a response without CORS headers, which looks exactly like an unreachable server.
 */
export function crossOriginHint(error: Error, url: string): string {
  const page = (globalThis as { location?: { origin?: unknown; href?: unknown } }).location;
  if (!isPollingFailure(error) || error.description !== 0 || typeof page?.origin !== 'string' || typeof page.href !== 'string') return '';
  if (!URL.canParse(url, page.href) || new URL(url, page.href).origin === page.origin) return '';
  return ` (this page's origin ${page.origin} is not the server's: if the server does not allow it with createJobServer's cors option, the browser hides every answer)`;
}
