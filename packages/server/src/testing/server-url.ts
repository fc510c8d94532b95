import type { AnyJobServer } from '@org/ws-server';
import { TestKitOptionError } from './errors';

/** Where clients reach `server`: its `url` (a test server), else the address its HTTP server listens on. */
export function serverUrl(server: AnyJobServer & { url?: string }): string {
  if (typeof server.url === 'string') return server.url;
  const address = server.io.httpServer?.address();
  if (address === null || typeof address !== 'object') {
    throw new TestKitOptionError('url', 'is needed: the server is not listening on a TCP port of its own (give the URL clients connect to)');
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
}
