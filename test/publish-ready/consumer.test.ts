import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const packages = ['protocol', 'server', 'client'] as const;
const workspaceRequire = createRequire(join(root, 'packages/server/package.json'));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** The version this workspace resolves for a dependency, so the scratch app installs the same one. */
function workspaceVersion(name: string): string {
  return (JSON.parse(readFileSync(workspaceRequire.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

let app: string;

function run(command: string, args: string[], cwd = app): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

/**
 * Type-checks `files` of the scratch app with `options` and returns the `@org/ws-*` files tsc read; throws
 * with tsc's own diagnostics (it prints them on stdout) when the check fails.
 */
function typecheck(options: Record<string, string>, files: string[]): string[] {
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', types: ['node'], ...options },
      files,
    }),
  );
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: app, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`tsc failed (${JSON.stringify(options)}):\n${result.stdout}${result.stderr}`);
  return result.stdout.split('\n').filter((file) => file.includes('/node_modules/@org/'));
}

/** The entry declaration files of every `@org/ws-*` package with the given extension. */
const entryDeclarations = (extension: 'd.ts' | 'd.cts') => packages.map((name) => `/node_modules/@org/ws-${name}/dist/index.${extension}`);

beforeAll(() => {
  const scratch = mkdtempSync(join(tmpdir(), 'org-ws-consumer-'));
  const tarballs = join(scratch, 'tarballs');
  for (const name of packages) run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', name));
  app = join(scratch, 'app');
  cpSync(fixtures, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-consumer', private: true, version: '1.0.0' }));
  const dependencies = ['socket.io', 'socket.io-client', 'zod', '@types/node'].map((name) => `${name}@${workspaceVersion(name)}`);
  const packed = readdirSync(tarballs).map((file) => join(tarballs, file));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed, ...dependencies]);
});

afterAll(() => {
  if (app) rmSync(join(app, '..'), { recursive: true, force: true });
});

describe('a scratch app that installs the packed tarballs with npm', () => {
  it('resolves the real packages, not workspace links', () => {
    const manifest = (path: string) => JSON.parse(readFileSync(join(app, path), 'utf8')) as { dependencies: Record<string, string> };
    const { dependencies } = manifest('package.json');
    for (const name of ['@org/ws-protocol', '@org/ws-server', '@org/ws-client']) expect(dependencies[name]).toMatch(/^file:.*\.tgz$/);
    expect(readdirSync(join(app, 'node_modules/@org')).sort()).toEqual(['ws-client', 'ws-protocol', 'ws-server']);
    expect(manifest('node_modules/@org/ws-server/package.json').dependencies['@org/ws-protocol']).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  it('runs a server and a client from an ESM script', () => {
    expect(run(process.execPath, ['esm.mjs'])).toContain('esm received running,completed');
  });

  it('runs a server and a client from a CommonJS script', () => {
    expect(run(process.execPath, ['cjs.cjs'])).toContain('cjs received running,completed');
  });

  it('type-checks a strict consumer with node16 resolution, as CommonJS (.d.cts) and as ESM (.d.ts)', () => {
    // Without "type": "module" a .ts file is CommonJS under node16; the same consumer as .mts is ESM.
    cpSync(join(app, 'typed-consumer.ts'), join(app, 'typed-consumer.mts'));
    const read = typecheck({ module: 'node16', moduleResolution: 'node16' }, ['typed-consumer.ts', 'typed-consumer.mts']);
    for (const declaration of [...entryDeclarations('d.cts'), ...entryDeclarations('d.ts')]) {
      expect(read.some((file) => file.endsWith(declaration)), declaration).toBe(true);
    }
  });

  it('type-checks a strict consumer with bundler resolution', () => {
    const read = typecheck({ module: 'esnext', moduleResolution: 'bundler' }, ['typed-consumer.ts']);
    for (const declaration of entryDeclarations('d.ts')) expect(read.some((file) => file.endsWith(declaration)), declaration).toBe(true);
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
