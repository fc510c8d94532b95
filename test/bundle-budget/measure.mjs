// Bundles the fixture apps as a browser app would ship them (esbuild: bundle, minify, browser platform, ES2022) and
// measures them gzipped at level 9. The bundle-budget test checks the results against the budgets and against what
// the READMEs state; `node test/bundle-budget/measure.mjs` prints them. Needs the packages built (`pnpm build`).
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url);
const at = (path) => fileURLToPath(new URL(path, root));

/** The budgets of issue #16, in bytes of gzip. */
export const BUDGETS = { clientOverPlain: 12 * 1024, isTerminal: 1.5 * 1024 };

/** Minified and gzipped size of one fixture app. */
async function measure(fixture) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The packages as published (their package.json `exports` and built dist), linked into the root node_modules.
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Sizes of the three fixture apps, and what the job client adds over plain socket.io-client. */
export async function measureBundles() {
  const [typical, plain, isTerminal] = await Promise.all([measure('typical-app.js'), measure('plain-socket-io-app.js'), measure('is-terminal.js')]);
  return { typical, plain, isTerminal, clientOverPlain: { minified: typical.minified - plain.minified, gzip: typical.gzip - plain.gzip } };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** The sentence of the client README that states the measured sizes (checked word for word). */
export function clientReadmeStatement(sizes) {
  return (
    `**${kib(sizes.clientOverPlain.gzip)} gzip** more than the same app written on plain socket.io-client ` +
    `(${kib(sizes.typical.gzip)} against ${kib(sizes.plain.gzip)} gzip; ${kib(sizes.typical.minified)} against ${kib(sizes.plain.minified)} minified)`
  );
}

/** The sentence of the protocol README that states the size of `isTerminal` alone (checked word for word). */
export function protocolReadmeStatement(sizes) {
  return `**${sizes.isTerminal.gzip} bytes gzip** (${sizes.isTerminal.minified} bytes minified)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await measureBundles();
  console.log(`typical app on @org/ws-client: ${kib(sizes.typical.minified)} minified, ${kib(sizes.typical.gzip)} gzip`);
  console.log(`same app on plain socket.io-client: ${kib(sizes.plain.minified)} minified, ${kib(sizes.plain.gzip)} gzip`);
  console.log(`@org/ws-client adds: ${clientReadmeStatement(sizes)} (budget ${kib(BUDGETS.clientOverPlain)})`);
  console.log(`isTerminal alone: ${protocolReadmeStatement(sizes)} (budget ${kib(BUDGETS.isTerminal)})`);
}
