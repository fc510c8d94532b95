import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';
import { sourceAliases } from '../../vitest.shared';

/**
 * Bundles the TypeScript file `entry` into the ES module `outfile` for Node, with the workspace packages from source and
 * every other package left as an import: `outfile` belongs under the package's node_modules, so those resolve as in its tests.
 */
export async function bundleNodeScript(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    alias: sourceAliases,
    logLevel: 'error',
  });
}
