/** The schemes socket.io-client connects to as given; it reads any other URL as relative to the page. */
const ABSOLUTE = /^(https?|wss?):\/\//;

/** The page's location, as socket.io-client reads it (absent outside a browser). */
interface PageLocation {
  readonly protocol: string;
  readonly host: string;
}

/**
 * Why socket.io-client could not connect to `url`, or `undefined` when it can: an absolute `http(s)://` or `ws(s)://`
 * URL anywhere, and in a page also one relative to it (`/path`, `//host`, `host:port`), resolved as socket.io-client
 * does. A URL it would turn into a host that cannot exist (`not a url`) would be retried for ever as a transport error.
 */
export function connectUrlProblem(url: string): string | undefined {
  // Browsers differ on white space in a host (Chromium escapes it), and no server has such a name.
  if (/\s/.test(url)) return 'must not contain white space';
  const page = (globalThis as { location?: PageLocation }).location;
  let absolute = url;
  if (!ABSOLUTE.test(url)) {
    if (page === undefined) return 'must be an absolute http(s):// or ws(s):// URL outside a browser';
    if (url.startsWith('//')) absolute = page.protocol + url;
    else absolute = `${page.protocol}//${url.startsWith('/') ? page.host : ''}${url}`;
  }
  try {
    new URL(absolute);
    return undefined;
  } catch {
    return 'is not a URL socket.io-client can connect to';
  }
}
