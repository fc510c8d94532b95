// Prints the minified+gzipped size of what @org/ws-client adds to a browser bundle: its own code and
// @org/ws-protocol, without socket.io-client and zod (the application brings those). Bundling for the
// browser platform also proves that no Node built-in slipped into the client.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const result = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['socket.io-client', 'zod'],
  write: false,
  logLevel: 'silent',
});
const code = result.outputFiles[0].contents;
const gzipped = gzipSync(code, { level: 9 }).length;
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(`@org/ws-client browser bundle (excluding socket.io-client and zod): ${kib(code.length)} minified, ${kib(gzipped)} min+gzip (${gzipped} bytes)`);

// The README states both figures; a stale statement fails the build rather than going out with the package.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const expected = `**${kib(gzipped)} minified + gzipped** (${kib(code.length)} minified)`;
if (!readme.includes(expected)) {
  const stated = /\*\*[\d.]+ KiB minified \+ gzipped\*\* \([\d.]+ KiB minified\)/.exec(readme)?.[0] ?? 'no size statement';
  console.error(`packages/client/README.md states ${stated}; the build measured ${expected}. Update the README.`);
  process.exitCode = 1;
}
