// @ts-check
// Builds the page bundle (public/bundle/) and the server (dist/main.js) with tsup; `node build.mjs` runs both.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const here = (/** @type {string} */ path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Runs a tsup build into a private temporary folder beside `outDir` (same depth, so source map paths stay
 * right), then moves each output file into `outDir` in one rename, so that test files building at the same
 * time, or a demo process starting meanwhile, never read a half-written bundle.
 * @param {string} outDir
 * @param {import('tsup').Options} options
 */
async function buildAtomically(outDir, options) {
  const temporary = join(dirname(outDir), `.${basename(outDir)}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  await mkdir(outDir, { recursive: true });
  try {
    await build({
      ...options,
      outDir: temporary,
      // Only what is passed here counts: no tsup.config file, no output folder cleaning, no .d.ts.
      config: false,
      clean: false,
      dts: false,
      format: 'esm',
      outExtension: () => ({ js: '.js' }),
      splitting: false,
      sourcemap: true,
      removeNodeProtocol: false,
      tsconfig: here('./tsconfig.json'),
      silent: true,
    });
    const files = await readdir(temporary);
    await Promise.all(files.map((file) => rename(join(temporary, file), join(outDir, file))));
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/**
 * Bundles src/page/main.ts with @org/ws-client, socket.io-client and zod for the browser.
 * @param {{ alias?: Record<string, string> }} [options] `alias` maps packages to sources (tests use the workspace sources)
 */
export async function buildPage(options = {}) {
  await buildAtomically(here('./public/bundle'), {
    entry: { page: here('./src/page/main.ts') },
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // Everything goes into the one file the page loads, whatever package.json the build runs next to.
    noExternal: [/./],
    esbuildOptions: (esbuild) => {
      esbuild.alias = options.alias ?? {};
    },
  });
}

/** Bundles the demo server; packages stay external and resolve to the workspace builds. */
export async function buildServer() {
  await buildAtomically(here('./dist'), {
    entry: { main: here('./src/main.ts') },
    platform: 'node',
    target: 'node20',
    esbuildOptions: (esbuild) => {
      esbuild.packages = 'external';
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildPage(), buildServer()]);
}
