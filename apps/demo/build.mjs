// @ts-check
// Builds the page bundle (public/bundle/) and the server (dist/main.js); `node build.mjs` runs both.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (/** @type {string} */ path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Runs an esbuild build and replaces each output file in one rename, so that test files building at the
 * same time, or a demo process starting meanwhile, never read a half-written bundle.
 * @param {import('esbuild').BuildOptions} options
 */
async function buildAtomically(options) {
  const { outputFiles } = await build({ ...options, write: false });
  await Promise.all(
    outputFiles.map(async ({ path, contents }) => {
      const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, contents);
      await rename(temporary, path);
    }),
  );
}

/**
 * Bundles src/page/main.ts with @org/ws-client, socket.io-client and zod for the browser.
 * @param {{ alias?: Record<string, string> }} [options] `alias` maps packages to sources (tests use the workspace sources)
 */
export async function buildPage(options = {}) {
  await buildAtomically({
    entryPoints: [here('./src/page/main.ts')],
    outfile: here('./public/bundle/page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
    alias: options.alias ?? {},
  });
}

/** Bundles the demo server; packages stay external and resolve to the workspace builds. */
export async function buildServer() {
  await buildAtomically({
    entryPoints: [here('./src/main.ts')],
    outfile: here('./dist/main.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildPage(), buildServer()]);
}
