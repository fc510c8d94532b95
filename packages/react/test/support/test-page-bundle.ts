import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { sourceAliases } from '../../../../vitest.shared';

/** The React majors the tests run against. */
export const REACT_VERSIONS = [18, 19] as const;

/** One of {@link REACT_VERSIONS}. */
export type ReactMajor = (typeof REACT_VERSIONS)[number];

const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The workspace's `react` and `react-dom` are React 19; React 18 is installed under the aliases `react18` and
 * `react-dom18`. esbuild's alias applies inside dependencies too, so react-dom 18 gets React 18, subpaths included.
 */
const reactAliases: Record<ReactMajor, Record<string, string>> = {
  18: { react: 'react18', 'react-dom': 'react-dom18' },
  19: {},
};

function options(major: ReactMajor, entry: string): BuildOptions {
  return {
    entryPoints: [fileURLToPath(new URL(`../page/${entry}`, import.meta.url))],
    absWorkingDir: packageDir,
    alias: { ...reactAliases[major], '@org/ws-client': sourceAliases['@org/ws-client'], '@org/ws-protocol': sourceAliases['@org/ws-protocol'] },
    bundle: true,
    jsx: 'automatic',
    target: 'es2022',
    // Development React: StrictMode double-invokes effects only there.
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  };
}

/** Bundles the browser test page (test/page/job-page.tsx) with React `major`, as one IIFE script. */
export async function bundleJobPage(major: ReactMajor): Promise<string> {
  const result = await build({ ...options(major, 'job-page.tsx'), format: 'iife', platform: 'browser', write: false });
  return result.outputFiles![0]!.text;
}

/** The module test/page/server-render.tsx exports. */
export type ServerRenderModule = typeof import('../page/server-render');

/**
 * Bundles test/page/server-render.tsx with React `major` for Node and imports it. The file goes to the package's
 * `test-output/`, so socket.io-client and zod (left out of the bundle) resolve from the package's dependencies.
 */
export async function importServerRender(major: ReactMajor): Promise<ServerRenderModule> {
  const result = await build({ ...options(major, 'server-render.tsx'), format: 'esm', platform: 'node', external: ['socket.io-client', 'zod'], write: false });
  const outDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const file = `${outDir}server-render-react${major}.mjs`;
  writeFileSync(file, result.outputFiles![0]!.text);
  return (await import(/* @vite-ignore */ file)) as ServerRenderModule;
}
