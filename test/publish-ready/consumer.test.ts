import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackedApp, repositoryRoot, runIn, runInBackground, workspaceVersion, type PackedApp } from '../support/packed-app';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
/** The packages every typed consumer below reads; the React one has its own consumer. */
const corePackages = ['protocol', 'server', 'client'] as const;
const tsc = join(repositoryRoot, 'node_modules/typescript/bin/tsc');

/** The strictest settings a consumer may compile with, on top of `strict`. */
const strictest = { exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true };

/** The entry declaration files of every `@org/ws-*` package (and of `@org/ws-server/testing`) with the given extension. */
const entryDeclarations = (extension: 'd.ts' | 'd.cts') => [
  ...corePackages.map((name) => `/node_modules/@org/ws-${name}/dist/index.${extension}`),
  `/node_modules/@org/ws-server/dist/testing.${extension}`,
];

/**
 * The zod majors the peer range `^3.25.0 || ^4.0.0` admits, each installed in its own app: the one this repository
 * develops with, and the zod 3.25 of the `zod-3` alias that the zod-3 suite runs the protocol's tests on.
 */
const zodVersions = [workspaceVersion('zod'), workspaceVersion('zod-3', '.')];

describe.each(zodVersions)('a scratch app that installs the packed tarballs with npm, with zod %s', (zodVersion) => {
  let packedApp: PackedApp | undefined;
  let app: string;

  function run(command: string, args: string[]): string {
    return runIn(app, command, args);
  }

  /**
   * Type-checks `files` of the scratch app with `options` and returns the `@org/ws-*` files tsc read; rejects
   * with tsc's own diagnostics (it prints them on stdout) when the check fails. Asynchronous, because a tsc run
   * of half a minute that blocked the worker would time out its messages to vitest.
   */
  async function typecheck(options: Record<string, string | boolean>, files: string[]): Promise<string[]> {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', types: ['node'], ...options },
        files,
      }),
    );
    const stdout = await runInBackground(app, process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles']).catch((error: Error) => {
      throw new Error(`tsc failed (${JSON.stringify(options)}): ${error.message}`);
    });
    return stdout.split('\n').filter((file) => file.includes('/node_modules/@org/'));
  }

  beforeAll(async () => {
    packedApp = await installPackedApp({
      packages: ['protocol', 'server', 'client', 'react'],
      fixtures,
      dependencies: [
        `zod@${zodVersion}`,
        ...['socket.io', 'socket.io-client', '@types/node'].map((name) => `${name}@${workspaceVersion(name)}`),
        ...['react', 'react-dom', '@types/react'].map((name) => `${name}@${workspaceVersion(name, 'packages/react')}`),
      ],
    });
    app = packedApp.dir;
  });

  afterAll(() => {
    packedApp?.remove();
  });

  it('uses the one zod the app installed, in every package', () => {
    const version = (path: string) => (JSON.parse(readFileSync(join(app, path), 'utf8')) as { version: string }).version;
    expect(version('node_modules/zod/package.json')).toBe(zodVersion);
    // No package brought a zod of its own: the schemas run on the app's copy.
    expect(readdirSync(join(app, 'node_modules/@org')).filter((name) => existsSync(join(app, 'node_modules/@org', name, 'node_modules/zod')))).toEqual([]);
  });

  it('resolves the real packages, not workspace links', () => {
    const manifest = (path: string) => JSON.parse(readFileSync(join(app, path), 'utf8')) as { dependencies: Record<string, string> };
    const { dependencies } = manifest('package.json');
    for (const name of ['@org/ws-protocol', '@org/ws-server', '@org/ws-client', '@org/ws-react']) expect(dependencies[name]).toMatch(/^file:.*\.tgz$/);
    expect(readdirSync(join(app, 'node_modules/@org')).sort()).toEqual(['ws-client', 'ws-protocol', 'ws-react', 'ws-server']);
    expect(manifest('node_modules/@org/ws-react/package.json').dependencies['@org/ws-client']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(manifest('node_modules/@org/ws-server/package.json').dependencies['@org/ws-protocol']).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it('runs a server and a client from an ESM script', () => {
    expect(run(process.execPath, ['esm.mjs'])).toContain('esm received running,completed');
  });

  it('runs a server and a client from a CommonJS script', () => {
    expect(run(process.execPath, ['cjs.cjs'])).toContain('cjs received running,completed');
  });

  it('type-checks a strict consumer (exactOptionalPropertyTypes) with node16 resolution, as CommonJS (.d.cts) and as ESM (.d.ts)', async () => {
    // Without "type": "module" a .ts file is CommonJS under node16; the same consumer as .mts is ESM.
    cpSync(join(app, 'typed-consumer.ts'), join(app, 'typed-consumer.mts'));
    const read = await typecheck({ ...strictest, module: 'node16', moduleResolution: 'node16' }, ['typed-consumer.ts', 'typed-consumer.mts']);
    for (const declaration of [...entryDeclarations('d.cts'), ...entryDeclarations('d.ts')]) {
      expect(read.some((file) => file.endsWith(declaration)), declaration).toBe(true);
    }
  });

  it('type-checks a strict consumer (exactOptionalPropertyTypes) with bundler resolution', async () => {
    const read = await typecheck({ ...strictest, module: 'esnext', moduleResolution: 'bundler' }, ['typed-consumer.ts']);
    for (const declaration of entryDeclarations('d.ts')) expect(read.some((file) => file.endsWith(declaration)), declaration).toBe(true);
  });

  it('renders @org/ws-react on the server from an ESM script without connecting', () => {
    expect(run(process.execPath, ['react-ssr.mjs'])).toContain('react ssr <p>waiting disconnected</p>');
  });

  it('type-checks a strict React consumer (exactOptionalPropertyTypes) with node16 and bundler resolution', async () => {
    for (const resolution of [{ module: 'node16', moduleResolution: 'node16' }, { module: 'esnext', moduleResolution: 'bundler' }]) {
      const read = await typecheck({ ...strictest, jsx: 'react-jsx', ...resolution }, ['react-consumer.tsx']);
      expect(read.some((file) => /\/node_modules\/@org\/ws-react\/dist\/index\.d\.c?ts$/.test(file)), JSON.stringify(resolution)).toBe(true);
    }
  });

  it('bundles the client for the browser without Node built-ins', async () => {
    const result = await build({
      entryPoints: [join(app, 'browser-entry.ts')],
      absWorkingDir: app,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes('@org/ws-client'))).toBe(true);
    expect(inputs.filter((input) => input.startsWith('node:') || /(^|\/)node_modules\/(ws|bufferutil|utf-8-validate)\//.test(input))).toEqual([]);
    // `import * as z` keeps zod tree-shakeable: a `{ z }` import would drag every zod locale into the page.
    const bundled = Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs).filter(([, use]) => use.bytesInOutput > 0).map(([input]) => input),
    );
    expect(bundled.filter((input) => /zod\/.*\/locales\/(?!en\.)/.test(input))).toEqual([]);
  });
});
