import { build } from 'esbuild';
import { sourceAliases } from '../../../../vitest.shared';

/** Name of the global the browser bundle defines. */
export const BUNDLE_GLOBAL = 'JobClientBundle';

/**
 * Bundles the client sources for a browser page (IIFE, with socket.io-client and zod inside). The browser
 * platform makes esbuild refuse any Node built-in, so this also proves the client does not use one.
 */
export async function bundleClientForBrowser(): Promise<string> {
  const result = await build({
    entryPoints: [sourceAliases['@org/ws-client']],
    alias: { '@org/ws-protocol': sourceAliases['@org/ws-protocol'] },
    bundle: true,
    format: 'iife',
    globalName: BUNDLE_GLOBAL,
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
