import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `pathname` from `root` (`/` is `index.html`); resolves false when there is no such file.
 * Paths that climb out of `root` and unknown file types are not served.
 */
export async function serveStaticFile(root: string, pathname: string, res: ServerResponse): Promise<boolean> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    return false;
  }
  const file = normalize(join(root, decoded));
  const type = CONTENT_TYPES[extname(file)];
  if (!file.startsWith(root + sep) || decoded.includes('\0') || type === undefined) return false;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return false;
  res.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
  return true;
}
